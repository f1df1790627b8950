"""Debian's Chromium for the browser tests (Playwright's own download cannot work here)."""

import os
import shutil
from pathlib import Path

# /usr/bin/chromium from `apt-get install chromium` (.ci/run installs it when missing).
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# Headless as root, with no calls home: this machine has no network but the
# package registries, and every refused connection slows the browser down.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def keep_screenshots(folder: Path, pattern: str = "*.png") -> None:
    """Copy the test's screenshots for a person to look at, if asked:
    STEPGRAD_KEEP_SCREENSHOTS=/some/folder pytest ..."""
    keep = os.environ.get("STEPGRAD_KEEP_SCREENSHOTS")
    if keep:
        for picture in folder.glob(pattern):
            shutil.copy(picture, Path(keep) / picture.name)
