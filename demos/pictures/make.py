"""Remake the pictures that the README shows, from the demos themselves.

    python3 demos/pictures/make.py [FOLDER] [STEPS]

Runs demos/neuron.py, demos/moons.py (STEPS training steps, 100 by default)
and demos/activations.py with FOLDER (by default this folder) as their output
folder, then stores each PNG they made with a 64-colour palette (the same
picture, a third of the bytes) so that the repository stays small. Other
pictures in FOLDER (classroom.png, a screenshot of the classroom page) are
left as they are.
"""

import subprocess
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
DEMOS = HERE.parent
# The pictures each demo writes, as the README shows them.
MADE = {
    "neuron.py": ["neuron.png"],
    "moons.py": ["moons_boundary.png", "moons_loss.png", "moons_network.png"],
    "activations.py": ["activations.png"],
}

folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
steps = sys.argv[2] if len(sys.argv) > 2 else "100"
for demo, arguments in (("neuron.py", []), ("moons.py", [steps]), ("activations.py", [])):
    command = [sys.executable, str(DEMOS / demo), str(folder), *arguments, "--force"]
    subprocess.run(command, check=True)
(folder / "neuron.svg").unlink()  # the README shows the PNG
for name in sorted(name for names in MADE.values() for name in names):
    path = folder / name
    with Image.open(path) as picture:
        small = picture.convert("RGB").quantize(colors=64)
    small.save(path, optimize=True)
    ratio = small.width / small.height
    print(f"{name}: {small.width} x {small.height} px ({ratio:.2f}:1), "
          f"{path.stat().st_size // 1024} KiB")
