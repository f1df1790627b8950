"""The `stepgrad` command's entry point; `python -m nn` runs it too (see `nn/apps/cli.py`).

It catches Ctrl-C before it imports the command (`import nn` itself imports
nothing yet), so that Ctrl-C at any moment until the command is done prints
one line and exits with status 130; after that it is ignored, and the
command's own status stands (see `nn/apps/interrupts.py`).
"""

import sys

from nn.apps import interrupts


def run() -> int:
    """Run `stepgrad` with the real command line; return its exit status."""
    interrupts.catch_ctrl_c()
    try:
        try:
            from nn.apps.cli import main

            status = main()
        except KeyboardInterrupt:  # between the import and main(): rare, but possible
            sys.stderr.write(interrupts.interrupted_line())
            status = interrupts.INTERRUPTED
        finally:
            interrupts.finished()
    except KeyboardInterrupt:  # just as the command ended, before finished() took effect
        interrupts.exit_interrupted()
    interrupts.shutting_down()
    return status


if __name__ == "__main__":  # not when pytest imports this file to look for doctests
    sys.exit(run())
