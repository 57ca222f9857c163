"""``python -m demo.readme [FOLDER]``: put a demo run's results into the README.

Copies the run's CSV files and main figure from FOLDER (default ``out/demo``) into
``docs/demo/`` and rewrites the README's block between the two ``demo results`` markers
with :func:`demo.report.readme_block` of those files, so that every number in it comes
from the committed CSV files (``tests/test_demo.py`` checks that they agree).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .report import readme_block

ROOT = Path(__file__).resolve().parents[1]
DOCS = Path("docs/demo")
FILES = ("results.csv", "tuning.csv", "suggestions.csv", "accuracy_vs_budget.png")
BEGIN = "<!-- demo results: begin (written by python -m demo.readme) -->"
END = "<!-- demo results: end -->"


def committed_block() -> str:
    """The README block as rendered from the files in ``docs/demo/``."""
    return readme_block(ROOT / DOCS, f"{DOCS}/accuracy_vs_budget.png")


def readme_section(text: str) -> str:
    """What the README has between the markers (without them)."""
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    folder = Path(args[0]) if args else ROOT / "out/demo"
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        print(f"python -m demo.readme: error: {folder} lacks {', '.join(missing)}", file=sys.stderr)
        return 2
    (ROOT / DOCS).mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(folder / name, ROOT / DOCS / name)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    readme.write_text(text[:start] + "\n" + committed_block() + "\n" + text[end:])
    print(f"wrote {DOCS}/ and README.md from {folder}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
