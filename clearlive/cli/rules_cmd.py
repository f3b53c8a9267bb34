"""`clearlive rules list` and `clearlive rules test`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from clearlive.model.findings import LegalBasis
from clearlive.watch.rules import RuleSet, load_rules

app = typer.Typer(help="List rules and run their examples.", no_args_is_help=True)
RulesOpt = Annotated[
    list[Path] | None, typer.Option("--rules", help="Extra rule pack (YAML file or folder); repeatable.")
]


@app.command("list")
def list_rules(
    rules: RulesOpt = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Every rule id a finding can carry: the loaded packs' rules (id, category, severity, languages,
    size, legal basis) and the rules the code detectors declare."""
    from clearlive.watch.detectors.registry import listed_rules  # loads the classifiers' libraries

    _, loaded = load_rules(list(rules or ()))
    declared = listed_rules(loaded)
    if format == "json":
        rows: list[dict[str, object]] = [
            {
                "id": r.id,
                "title": r.spec.title,
                "category": r.spec.category,
                "severity": r.spec.severity,
                "languages": r.spec.languages or [r.language],
                "pack": r.pack,
                "detector": None,
                "terms": len(r.spec.terms),
                "patterns": len(r.spec.patterns),
                "legal_basis": [msgspec.to_builtins(lb) for lb in r.legal_basis],
            }
            for r in loaded
        ]
        rows += [
            {
                "id": d.rule.id,
                "title": d.rule.title,
                "category": d.rule.category,
                "severity": d.rule.severity,
                "languages": ["any"],
                "pack": None,
                "detector": d.detector,
                "terms": 0,
                "patterns": 0,
                "legal_basis": [msgspec.to_builtins(lb) for lb in d.legal_basis],
                "categories": d.rule.all_categories(),  # every category and severity a finding may take
                "severities": d.rule.all_severities(),
                "reads": d.rule.reads,
            }
            for d in declared
        ]
        typer.echo(msgspec.json.format(msgspec.json.encode(rows), indent=2).decode())
        return
    table = Table(header_style="bold")
    for col in ("id", "category", "severity", "lang", "terms", "patterns", "legal basis", "title"):
        table.add_column(col, overflow="fold")
    for r in loaded:
        table.add_row(
            r.id,
            r.spec.category,
            r.spec.severity,
            ",".join(r.spec.languages or [r.language]),
            str(len(r.spec.terms)),
            str(len(r.spec.patterns)),
            _basis(r.legal_basis),
            r.spec.title,
        )
    for d in declared:
        table.add_row(
            d.rule.id,
            ",".join(d.rule.all_categories()),
            ",".join(d.rule.all_severities()),
            "any",
            "-",
            "-",
            _basis(d.legal_basis),
            d.rule.title,
        )
    Console().print(table)
    total = len(loaded) + len(declared)
    Console().print(f"{total} rules ({len(loaded)} in packs, {len(declared)} declared by detectors)")


def _basis(basis: Iterable[LegalBasis]) -> str:
    return ", ".join(lb.id + ("" if lb.mark == "V" else f" [{lb.mark}]") for lb in basis)


@app.command("test")
def test_rules(rules: RulesOpt = None) -> None:
    """Run every rule's examples: each 'match' must fire, each 'no_match' must not."""
    from clearlive.watch.rules.selftest import run_examples  # the detectors load only for this command

    _, loaded = load_rules(list(rules or ()))
    results = run_examples(RuleSet(loaded))
    console = Console()
    failed = [r for r in results if not r.ok]
    for r in failed:
        console.print(f"[red]FAIL[/] {r.rule_id} {r.kind}: {r.text!r} ({r.detail})", highlight=False)
    n_rules = len({r.rule_id for r in results})
    console.print(f"{len(results) - len(failed)}/{len(results)} examples passed across {n_rules} rules")
    if failed:
        raise typer.Exit(1)
