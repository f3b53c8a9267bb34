"""`clearlive lint`: a host's script checked line by line, findings located by line and column."""

from __future__ import annotations

import json
from pathlib import Path

SCRIPT = """# 今晚面霜专场脚本

1. 家人们晚上好，欢迎来到直播间
2. 这款面霜是全网最低价，找到更低的我倒赔
- 拆开以后最好冷藏保存

> 想要出厂价的，加我薇

```
代码块里的全网最低价不检查
```
Use my code GLOW20 for ten percent off
"""


def test_lint_locates_findings_by_line_and_column(run_cli, tmp_path: Path) -> None:
    script = tmp_path / "script.md"
    script.write_text(SCRIPT, encoding="utf-8")
    code, out, _ = run_cli("lint", script)
    assert code == 0
    assert f"{script}:4:9: medium zh.absolute.superlative" in out
    assert f"{script}:7:10: high zh.diversion.contact_app" in out
    assert f"{script}:12:1: medium en.disclosure.missing" in out
    assert "→ 用可验证的事实代替最高级" in out  # the compliant wording
    assert f"{script}:5:" not in out  # 最好冷藏 is advice
    assert f"{script}:10:" not in out  # code blocks are not spoken


def test_lint_jsonl_and_exit_codes(run_cli, tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("这款面霜是全网最低价\n拆开以后最好冷藏保存\n", encoding="utf-8")
    code, out, _ = run_cli("lint", script, "--format", "jsonl", "--fail-on", "medium")
    assert code == 1
    findings = [json.loads(line) for line in out.splitlines()]
    # an unverifiable lowest-price claim is both an absolute term and a price claim
    assert sorted((f["category"], f["evidence"]["text"]) for f in findings) == [
        ("absolute_terms", "全网最低价"),
        ("price_deception", "全网最低价"),
    ]
    assert run_cli("lint", script, "--fail-on", "high")[0] == 0
    assert run_cli("lint", tmp_path / "missing.md")[0] == 2


def test_clean_script(run_cli, tmp_path: Path) -> None:
    script = tmp_path / "clean.md"
    script.write_text("家人们晚上好\n今天的价格是三十九块九\n七天无理由退换\n", encoding="utf-8")
    code, out, _ = run_cli("lint", script, "--fail-on", "info")
    assert code == 0 and "nothing to fix" in out
