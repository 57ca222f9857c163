"""The package's shape (issue 10): no module over 500 lines."""

from __future__ import annotations

from pathlib import Path

import lr_one_cycle

PACKAGE = Path(lr_one_cycle.__file__).parent


def test_no_module_is_over_500_lines() -> None:
    lengths = {
        str(path.relative_to(PACKAGE)): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert len(lengths) > 30  # the walk found the package
    assert {name: n for name, n in lengths.items() if n > 500} == {}
