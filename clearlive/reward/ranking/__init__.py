"""Ranking live rooms under allocation policies (issue #6)."""

from clearlive.reward.ranking.policies import (
    POLICIES,
    UNCERTAINTY,
    Candidate,
    PolicyParams,
    Ranked,
    rank,
    traffic_shares,
)

__all__ = ["POLICIES", "UNCERTAINTY", "Candidate", "PolicyParams", "Ranked", "rank", "traffic_shares"]
