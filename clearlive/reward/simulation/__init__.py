"""The market simulator (issue #6): what each allocation policy does to a market over time."""

from clearlive.reward.simulation.market import ROUND_FIELDS, MarketParams, simulate, summary

__all__ = ["ROUND_FIELDS", "MarketParams", "simulate", "summary"]
