"""`clearlive simulate` and `clearlive rank`: allocation policies, on a simulated market or real candidates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from clearlive.cli.output import read_records
from clearlive.errors import InputError
from clearlive.model.events import parse_ts
from clearlive.yamlsafe import load_yaml

if TYPE_CHECKING:
    from clearlive.reward.simulation import MarketParams

# The policy names (clearlive.reward.ranking.POLICIES, UNCERTAINTY: a test keeps them equal) without
# loading the ranking and scoring code at start-up.
POLICIES = ("traffic", "service", "blend")
UNCERTAINTY = ("mean", "ucb", "thompson")

err = Console(stderr=True, soft_wrap=True)
DAY = 86_400_000


def _check(value: str, allowed: tuple[str, ...], option: str) -> None:
    if value not in allowed:
        raise typer.BadParameter(f"use one of {', '.join(allowed)}", param_hint=option)


def load_params(path: Path | None, uncertainty: str | None) -> MarketParams:
    from clearlive.reward.simulation import MarketParams  # numpy loads only for the simulation

    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = load_yaml(path.read_text(encoding="utf-8")) or {}  # YAML is a superset of JSON
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror}") from exc
        if not isinstance(raw, dict):
            raise InputError(f"{path}: parameters must be a mapping of name: value")
    if uncertainty is not None:
        raw["uncertainty"] = uncertainty
    try:
        return MarketParams.from_dict(raw)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path or '--params'}: {exc}") from exc


def simulate_command(
    policy: Annotated[str, typer.Option("--policy", help="traffic, service or blend.")] = "service",
    rounds: Annotated[int, typer.Option("--rounds", min=1, max=10_000, help="Rounds to simulate.")] = 60,
    seed: Annotated[int, typer.Option("--seed", help="Seed: the same arguments give the same output.")] = 1,
    params_path: Annotated[
        Path | None, typer.Option("--params", help="YAML or JSON file of market parameters (docs/simulation.md).")
    ] = None,
    uncertainty: Annotated[
        str | None, typer.Option("--uncertainty", help="How new hosts are ranked: mean, ucb (default) or thompson.")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="json (CONTRACT section 6) or table.")] = "json",
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Write an HTML page comparing all three policies on the same market here."),
    ] = Path("simulation-report.html"),
    no_report: Annotated[bool, typer.Option("--no-report", help="Print the metrics only.")] = False,
) -> None:
    """Simulate a live-commerce market under an allocation policy and print the metrics of every round."""
    from clearlive.reward.simulation import ROUND_FIELDS, simulate
    from clearlive.reward.simulation.report import write_simulation_report

    _check(policy, POLICIES, "--policy")
    _check(format, ("json", "table"), "--format")
    if uncertainty is not None:
        _check(uncertainty, UNCERTAINTY, "--uncertainty")
    params = load_params(params_path, uncertainty)
    run = simulate(policy, rounds, seed, params)
    if format == "json":
        sys.stdout.buffer.write(msgspec.json.encode(run) + b"\n")
    else:
        table = Table(header_style="bold", title=f"policy {policy}, seed {seed}")
        for name in ROUND_FIELDS:
            table.add_column(name.replace("_", " "), justify="right")
        for r in run["rounds"]:
            table.add_row(*(f"{r[k]:g}" if isinstance(r[k], float) else str(r[k]) for k in ROUND_FIELDS))
        Console(width=240 if not sys.stdout.isatty() else None).print(table)
    if report is not None and not no_report:
        runs = {p: (run if p == policy else simulate(p, rounds, seed, params)) for p in POLICIES}
        write_simulation_report(runs, report)
        err.print(f"report comparing {', '.join(POLICIES)}: [bold]{report}[/]")


class _CandidateIn(msgspec.Struct):
    room_id: str
    anchor_id: str
    predicted_engagement: float
    score: float | None = None
    interval: tuple[float, float] | None = None
    credit: float | None = None
    recent_violations: int | None = None


def _host_facts(scores_path: Path) -> dict[str, dict[str, Any]]:
    """From `clearlive score` output: each host's score, interval, credit and violations of the
    window's last 30 days."""
    facts = {}
    for r in read_records(scores_path, dict):
        if r.get("entity_type") != "host":
            continue
        credit = r.get("credit") or {}
        end = parse_ts(r["window"]["end"])
        recent = sum(
            1 for e in credit.get("entries", []) if e.get("points", 0) < 0 and end - parse_ts(e["ts"]) <= 30 * DAY
        )
        interval = r.get("interval")
        facts[r["entity_id"]] = {
            "score": r.get("score"),
            "interval": tuple(interval) if interval else None,
            "credit": credit.get("balance"),
            "recent_violations": recent,
        }
    return facts


def rank_command(
    candidates_path: Annotated[
        Path, typer.Argument(help="JSON Lines: room_id, anchor_id, predicted_engagement (optionally score, ...).")
    ],
    scores: Annotated[
        Path | None, typer.Option("--scores", help="`clearlive score` output: host scores, intervals, credit.")
    ] = None,
    policy: Annotated[str, typer.Option("--policy", help="traffic, service or blend.")] = "blend",
    uncertainty: Annotated[str, typer.Option("--uncertainty", help="mean, ucb or thompson.")] = "ucb",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Thompson draws.")] = 0,
    format: Annotated[str, typer.Option("--format", "-f", help="jsonl or table.")] = "jsonl",
) -> None:
    """Rank candidate rooms under an allocation policy, with the parts of every value."""
    from clearlive.reward.ranking import Candidate, rank

    _check(policy, POLICIES, "--policy")
    _check(uncertainty, UNCERTAINTY, "--uncertainty")
    _check(format, ("jsonl", "table"), "--format")
    facts = _host_facts(scores) if scores else {}
    candidates = []
    for c in read_records(candidates_path, _CandidateIn):
        known = facts.get(c.anchor_id, {})
        candidates.append(
            Candidate(
                room_id=c.room_id,
                anchor_id=c.anchor_id,
                predicted_engagement=c.predicted_engagement,
                score=c.score if c.score is not None else known.get("score"),
                interval=c.interval if c.interval is not None else known.get("interval"),
                credit=c.credit if c.credit is not None else known.get("credit"),
                recent_violations=(
                    c.recent_violations if c.recent_violations is not None else known.get("recent_violations", 0)
                ),
            )
        )
    ranked = rank(candidates, policy, uncertainty, seed=seed)
    if format == "jsonl":
        for r in ranked:
            sys.stdout.buffer.write(msgspec.json.encode(r) + b"\n")
        return
    table = Table(header_style="bold", title=f"policy {policy}, uncertainty {uncertainty}")
    for col in ("rank", "room", "host", "value", "service used", "factors"):
        table.add_column(col)
    for r in ranked:
        factors = ", ".join(f"{k} {v:.3g}" for k, v in r.factors.items())
        service = "" if r.service_used is None else f"{r.service_used:.1f}"
        table.add_row(str(r.rank), r.room_id, r.anchor_id, f"{r.value:.4g}", service, factors)
    Console(width=200 if not sys.stdout.isatty() else None).print(table)
