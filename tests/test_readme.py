"""The README's promises: the quick start is exactly two commands, CI runs the second, the core example runs."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    commands = [line for line in _blocks("bash")[0].splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("python app.py")
    assert commands[1] in (ROOT / ".ci" / "run").read_text()


def test_core_example_runs_and_prints_nfe():
    code = _blocks("python")[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 12
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    nfe, units = out.stdout.split()
    assert int(nfe) == 20 and abs(float(units)) < 1e3


def test_spaces_front_matter_matches_the_gradio_pin():
    pin = re.search(r"gradio==([\d.]+)", (ROOT / "requirements.txt").read_text()).group(1)
    assert f"sdk_version: {pin}" in README
    assert "app_file: app.py" in README
