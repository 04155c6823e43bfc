"""``python -m htj2k``: the command line (see :mod:`htj2k.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
