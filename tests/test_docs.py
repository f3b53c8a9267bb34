"""The docs cannot drift: every command and option is in docs/cli.md, every doc page is linked."""

from __future__ import annotations

from pathlib import Path

import typer

from clearlive.cli.main import app

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> dict[str, object]:
    group = typer.main.get_command(app)
    out: dict[str, object] = {}
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        if sub:
            out.update({f"{name} {s}": c for s, c in sub.items()})
        else:
            out[name] = cmd
    return out


def test_every_command_and_option_is_documented() -> None:
    cli_doc = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, cmd in _commands().items():
        assert f"clearlive {name}" in cli_doc, name
        assert cmd.help, name  # type: ignore[attr-defined]
        for param in cmd.params:  # type: ignore[attr-defined]
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert f"`{opt}`" in cli_doc, f"{name} {opt}"


def test_readme_shows_the_two_commands_and_links_every_doc() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name


def test_every_declared_detector_rule_is_documented() -> None:
    """docs/rules.md names every rule id a code detector declares (the classifiers' leads, one per
    category, as their `model.<category>` and `model.encoder.<category>` families)."""
    from clearlive.watch.detectors.registry import detector_classes

    rules_doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "`model.<category>`" in rules_doc and "`model.encoder.<category>`" in rules_doc
    for cls in detector_classes():
        for rule in cls.declared():
            if rule.id.startswith("model.encoder."):
                continue  # every category of the contract: the family is documented
            assert f"`{rule.id}`" in rules_doc, rule.id
            if rule.id.startswith(("facts.", "fraud.")):  # their table quotes the declaration's `reads`
                row = next(line for line in rules_doc.splitlines() if line.startswith(f"| `{rule.id}` |"))
                assert row.endswith(f"| {rule.reads} |"), rule.id
