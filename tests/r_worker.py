"""Runs R source through rpy2 for ``test_r_parity.py``, in a process of its own.

Protocol: one JSON object per line on stdin, ``{"source": "<R code>"}``; one per line on
stdout, ``{"values": [...]}`` (doubles as hexadecimal strings, exact; strings as they
are) or ``{"error": "<message>"}``.

Why a separate process: reticulate 1.28 inside rpy2 crashes Python ("PyThreadState_Get:
the GIL is released") when torch was imported before reticulate attached to the
interpreter, and the test session imports torch long before. Here R and reticulate
start first; torch is only imported afterwards, by the R code that needs it.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("R_LIBS", str(ROOT / ".rlib"))
os.environ.setdefault("RETICULATE_PYTHON", sys.executable)

import rpy2.rinterface  # noqa: E402
import rpy2.robjects as ro  # noqa: E402

# R's exit handler can crash Python at exit once reticulate ran inside rpy2.
atexit.unregister(rpy2.rinterface.endr)


def to_json(result: object) -> list[str]:
    if isinstance(result, ro.vectors.FloatVector):
        return [float(x).hex() for x in result]
    return [str(x) for x in result]  # type: ignore[attr-defined]


def main() -> None:
    # Replies go to the real stdout; anything R or Python prints goes to stderr.
    protocol, sys.stdout = sys.stdout, sys.stderr
    # Attach reticulate to this interpreter now, before anything imports torch.
    ro.r("suppressPackageStartupMessages(library(lronecycle))")
    ro.r("invisible(lronecycle:::bridge()$move_to)")
    print(json.dumps({"ready": True}), file=protocol, flush=True)
    for line in sys.stdin:
        source = json.loads(line)["source"]
        try:
            reply: dict[str, object] = {"values": to_json(ro.r(source))}
        except Exception as error:  # an R error: report it, keep serving
            reply = {"error": str(error)}
        print(json.dumps(reply), file=protocol, flush=True)


if __name__ == "__main__":
    main()
