"""`python -m nn` runs the `stepgrad` command (see `nn/cli.py`)."""

import sys

from nn.cli import main

if __name__ == "__main__":  # not when pytest imports this file to look for doctests
    sys.exit(main())
