"""The README's examples run as written: every ```python block, and every ```r block
when the R package is installed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")  # not the locale's


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def test_readme_has_python_and_r_examples():
    assert len(blocks("python")) >= 1 and len(blocks("r")) >= 1


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_readme_python_example_runs(index, capsys):
    exec(compile(blocks("python")[index], f"README.md python block {index}", "exec"), {})
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("index", range(len(blocks("r"))))
def test_readme_r_example_runs(index):
    rlib = ROOT / ".rlib"
    if shutil.which("Rscript") is None or not (rlib / "lronecycle").is_dir():
        pytest.skip("the R package lronecycle is not installed in .rlib")
    env = {
        **os.environ,
        "R_LIBS": str(rlib),
        "RETICULATE_PYTHON": str(ROOT / ".venv" / "bin" / "python"),
    }
    done = subprocess.run(
        ["Rscript", "-e", blocks("r")[index]], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
