"""`python -m nn` runs the `stepgrad` command (see `nn/apps/cli.py`)."""

import sys

from nn.apps.cli import main

if __name__ == "__main__":  # not when pytest imports this file to look for doctests
    sys.exit(main())
