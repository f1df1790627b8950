"""`python -m nn` runs the `stepgrad` command (see `nn/cli.py`)."""

import sys

from nn.cli import main

sys.exit(main())
