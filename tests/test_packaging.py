"""Packaging: the scan path loads no service, database or training code; a missing extra is named
with the pip command that adds it; the start-up cache gives back exactly what it was given."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from clearlive import cache
from clearlive.extras import EXTRA_OF
from clearlive.yamlsafe import _parse, load_yaml

ROOT = Path(__file__).resolve().parents[1]

# What `clearlive scan` of a plain event file must not import: the service and its stores and
# transports, DuckDB (only with --db), Spark (and `--engine spark`'s module), training and evaluation
# (scikit-learn, skops, the abuse model, the encoder, clearlive.watch.evaluation), and
# what only a larger scan needs (datasketch's LSH and the SciPy it loads).
FORBIDDEN_ON_SCAN = (
    "clearlive.serve",
    "clearlive.watch.scan_db",
    "clearlive.measure",
    "clearlive.report",
    "clearlive.watch.classifiers.abuse",
    "clearlive.watch.classifiers.encoder",
    "clearlive.watch.evaluation",
    "clearlive.watch.scan.spark_scan",
    "duckdb",
    "pyarrow",
    "fastapi",
    "uvicorn",
    "starlette",
    "psycopg",
    "sqlalchemy",
    "alembic",
    "redis",
    "pyspark",
    "pandas",
    "sklearn",
    "skops",
    "datasketch",
    "scipy",
    "jinja2",
    "vl_convert",
)

# Runs the CLI in a fresh interpreter (with this checkout first on the path, so that it is the
# `clearlive` imported), optionally with some top-level modules made unimportable, and reports the
# exit status and the modules loaded.
_RUNNER = r"""
import importlib.abc, json, sys
blocked = set(json.loads(sys.argv[1]))

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Block())
from clearlive.cli.main import main
code = main(sys.argv[3:])
with open(sys.argv[2], "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules), "file": sys.modules["clearlive"].__file__}, fh)
"""


def run_isolated(tmp_path: Path, *args: str, blocked: tuple[str, ...] = ()) -> tuple[int, list[str], str, str]:
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, json.dumps(blocked), str(report), *args],
        cwd=tmp_path,  # a command that writes a default store or report writes it there
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert report.exists(), proc.stderr
    result = json.loads(report.read_text())
    assert Path(result["file"]).is_relative_to(ROOT)  # this checkout, not another install
    return result["code"], result["modules"], proc.stdout, proc.stderr


def loaded(modules: list[str], prefix: str) -> bool:
    return any(m == prefix or m.startswith(prefix + ".") for m in modules)


@pytest.fixture
def one_event(tmp_path: Path) -> Path:
    path = tmp_path / "one.jsonl"
    row = {"type": "utterance", "room_id": "r1", "ts": 1_700_000_000_000, "speaker": "host"}
    row["text"] = "全网最低价，赶紧下单"
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def test_scan_of_one_event_imports_no_service_database_or_training_module(tmp_path: Path, one_event: Path) -> None:
    code, modules, out, _ = run_isolated(tmp_path, "scan", str(one_event), "--rejects", str(tmp_path / "r.jsonl"))
    assert code == 0
    assert "zh.absolute.superlative" in out  # it did scan
    assert loaded(modules, "clearlive.watch.scan.scanner") and loaded(modules, "clearlive.watch.detectors.model_claims")
    assert [m for m in FORBIDDEN_ON_SCAN if loaded(modules, m)] == []


def test_lint_imports_no_service_database_or_training_module(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("这款面霜是全网最低价\n", encoding="utf-8")
    code, modules, out, _ = run_isolated(tmp_path, "lint", str(script), "--format", "jsonl")
    assert code == 0 and "zh.absolute.superlative" in out
    assert [m for m in FORBIDDEN_ON_SCAN if loaded(modules, m)] == []


def test_scan_runs_the_bundled_classifier_without_scikit_learn(tmp_path: Path) -> None:
    path = tmp_path / "credential.jsonl"
    row = {"type": "utterance", "room_id": "r", "ts": 0, "speaker": "host"}
    row["text"] = "我家祖上三代行医，这款膏方各位家人放心入手"  # test_claims_model's phrasing no rule knows
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, out, _ = run_isolated(
        tmp_path, "scan", str(path), "--rejects", str(tmp_path / "r.jsonl"), blocked=("sklearn", "skops")
    )
    assert code == 0
    assert [json.loads(line)["rule_id"] for line in out.splitlines()] == ["model.impersonation"]


@pytest.mark.parametrize(
    ("args", "blocked", "extra"),
    [
        (("train", "abuse", "--data", "x.csv", "--out", "m.skops"), ("sklearn",), "train"),
        (("eval", "--data", "x.csv", "--model", "m.skops"), ("skops",), "train"),
        (("serve", "--port", "1"), ("fastapi",), "serve"),
        (("serve", "--db", "postgresql://127.0.0.1/x"), ("psycopg",), "postgres"),
        (("serve", "--db", "postgresql://127.0.0.1/x", "--redis", "redis://127.0.0.1"), ("redis",), "redis"),
        (("worker", "--redis", "redis://127.0.0.1", "--db", "postgresql://x", "--shards", "0"), ("redis",), "redis"),
        (("keys", "create", "--role", "admin", "--tenant", "t", "--db", "postgresql://x"), ("psycopg",), "postgres"),
        (("audit", "verify", "--db", "postgresql://x"), ("sqlalchemy",), "postgres"),
        (("scan", "archive.jsonl", "--engine", "spark"), ("pyspark",), "spark"),
        (
            ("spark-stream", "--redis", "redis://127.0.0.1", "--db", "postgresql://x", "--checkpoint", "c"),
            ("pyspark",),
            "spark",
        ),
    ],
)
def test_a_missing_extra_is_named(tmp_path: Path, args: tuple[str, ...], blocked: tuple[str, ...], extra: str) -> None:
    code, modules, _, err = run_isolated(tmp_path, *args, blocked=blocked)
    assert code == 2
    assert f"pip install 'clearlive[{extra}]'" in err
    assert f"{blocked[0]} is missing" in err
    assert not loaded(modules, "clearlive.serve.app")  # failed before starting anything


def test_scan_with_a_trained_model_names_the_train_extra(tmp_path: Path, one_event: Path) -> None:
    model = tmp_path / "m.skops"
    model.write_bytes(b"not a model")
    code, _, _, err = run_isolated(tmp_path, "scan", str(one_event), "--model", str(model), blocked=("skops",))
    assert code == 2 and "pip install 'clearlive[train]'" in err


def test_score_on_spark_names_the_spark_extra(tmp_path: Path, one_event: Path) -> None:
    code, _, _, err = run_isolated(tmp_path, "score", str(one_event), "--engine", "spark", blocked=("pyspark",))
    assert code == 2 and "pip install 'clearlive[spark]'" in err


def test_every_optional_module_belongs_to_a_declared_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    core = " ".join(project["dependencies"]).lower()
    distribution = {"sklearn": "scikit-learn", "multipart": "python-multipart", "psycopg": "psycopg"}
    for module, extra in EXTRA_OF.items():
        name = distribution.get(module, module).lower()
        assert any(req.lower().startswith(name) for req in extras[extra]), (module, extra)
        assert name not in core, f"{name} is optional ({extra}) but also a core dependency"
    assert "clearlive[serve,postgres,redis,spark,train" in " ".join(extras["dev"])  # make test installs them all


def test_cli_policy_names_are_the_ranking_module_s() -> None:
    from clearlive.cli import simulate_cmd
    from clearlive.reward import ranking

    assert simulate_cmd.POLICIES == ranking.POLICIES and simulate_cmd.UNCERTAINTY == ranking.UNCERTAINTY


# ---- the start-up cache -----------------------------------------------------------------------


def test_cached_yaml_is_what_the_parser_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARLIVE_CACHE_DIR", str(tmp_path))
    files = sorted((ROOT / "clearlive").rglob("*.yaml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        fresh = _parse(text)
        first, second = load_yaml(text), load_yaml(text)  # the second comes from the cache where cached
        assert cache.same(first, fresh) and cache.same(second, fresh), path
    assert list((tmp_path / "yaml").glob("*.msgpack"))  # the large ones were cached


def test_cache_keeps_only_what_comes_back_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARLIVE_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def build(value: object) -> object:
        calls.append(1)
        return value

    plain = {"a": [1, 2.0, True, None, "x"], 3: {"b": []}}
    assert cache.same(cache.cached("t", ("plain",), lambda: build(plain)), plain)
    assert cache.same(cache.cached("t", ("plain",), lambda: build(plain)), plain)
    assert len(calls) == 1  # built once, then read back
    # a date or a tuple would come back as something else: never cached, built every time
    for odd in ({"when": dt.date(2026, 1, 1)}, {"pair": (1, 2)}):
        calls.clear()

        def again(odd: object = odd) -> object:
            return build(odd)

        cache.cached("t", (repr(odd),), again)
        assert cache.cached("t", (repr(odd),), again) == odd
        assert len(calls) == 2
    assert not cache.same(1, 1.0) and not cache.same(True, 1) and not cache.same([1], [1.0])


def test_cache_off_and_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARLIVE_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert cache.cached("t", ("x",), lambda: {"v": 1}) == {"v": 1}
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CLEARLIVE_CACHE_DIR", str(blocker))
    assert cache.cached("t", ("x",), lambda: {"v": 2}) == {"v": 2}  # no cache, no error


def test_a_corrupt_cache_file_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEARLIVE_CACHE_DIR", str(tmp_path))
    cache.cached("t", ("y",), lambda: {"v": 1})
    [path] = (tmp_path / "t").glob("*.msgpack")
    path.write_bytes(b"\xc1garbage")
    assert cache.cached("t", ("y",), lambda: {"v": 1}) == {"v": 1}
