"""``python -m lr_one_cycle``: the command line of :mod:`lr_one_cycle.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
