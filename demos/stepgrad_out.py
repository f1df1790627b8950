"""Where the demo scripts write their pictures: the rule of every program that writes into
stepgrad-out/ (as `stepgrad demo` does): a file already there is replaced only with --force.

    output_folder, arguments = prepare_output_folder(["moons_loss.png", ...])
"""

import sys
from pathlib import Path


def prepare_output_folder(names: list[str]) -> tuple[Path, list[str]]:
    """The folder named on the command line (stepgrad-out/ by default), made if missing, and
    the rest of the command line. Stops with a message, before any work, when a file of
    `names` is already there and --force was not given."""
    arguments = [argument for argument in sys.argv[1:] if argument != "--force"]
    folder = Path(arguments[0] if arguments else "stepgrad-out")
    earlier = [name for name in names if (folder / name).exists()]
    if earlier and "--force" not in sys.argv[1:]:
        sys.exit(
            f"{folder} already holds {', '.join(earlier)} from an earlier run;\n"
            "add --force to replace them, or name another folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder, arguments[1:]
