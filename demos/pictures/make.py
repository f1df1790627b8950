"""Remake the pictures that the README shows, from the demos themselves.

    python3 demos/pictures/make.py [FOLDER] [STEPS]

Runs demos/neuron.py, demos/moons.py (STEPS training steps, 100 by default)
and demos/activations.py with FOLDER (by default this folder) as their output
folder, then stores each PNG with a 64-colour palette (the same picture, a
third of the bytes) so that the repository stays small. Only the pictures these
demos make are touched (classroom.png, a screenshot, is left as it is).
"""

import subprocess
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
DEMOS = HERE.parent

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
steps = sys.argv[2] if len(sys.argv) > 2 else "100"
MADE = ["activations.png", "moons_boundary.png", "moons_loss.png", "moons_network.png",
        "neuron.png"]
for demo, arguments in (("neuron.py", []), ("moons.py", [steps]), ("activations.py", [])):
    command = [sys.executable, str(DEMOS / demo), str(folder), *arguments, "--force"]
    subprocess.run(command, check=True)
(folder / "neuron.svg").unlink()  # the README shows the PNG
for path in [folder / name for name in MADE]:
    with Image.open(path) as picture:
        small = picture.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)
    print(f"{path.name}: {small.width} x {small.height} px, {path.stat().st_size // 1024} KiB")
