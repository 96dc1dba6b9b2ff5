"""The README's walkthrough, run word for word on the sample files."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualcode.cli import main

ROOT = Path(__file__).resolve().parent.parent


def walkthrough_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Walkthrough", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_walkthrough_has_the_steps_a_researcher_needs():
    commands = " ".join(walkthrough_commands())
    for step in ("qualcode init", "qualcode import", "--cases", "qualcode code", "qualcode review export",
                 "qualcode review import", "qualcode matrix", "qualcode export xlsx", "qualcode compare"):
        assert step in commands


@pytest.mark.slow  # every walkthrough command on the whole sample, ~3.5 s
def test_the_walkthrough_runs_on_the_sample(tmp_path, monkeypatch):
    for name in ("transcripts_sample", "codebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    env: dict[str, str] = {}
    for line in walkthrough_commands():
        if line.startswith("export "):
            key, value = line.removeprefix("export ").split("=", 1)
            env[key] = value
            continue
        args = shlex.split(line)
        assert args[0] == "qualcode", line
        result = CliRunner().invoke(main, args[1:], env=env)
        assert result.exit_code == 0, f"{line}\n{result.output}"
    assert (tmp_path / "results.xlsx").exists()
    assert (tmp_path / "report" / "report.html").exists()
