"""Debian's Chromium for the browser tests (Playwright's own download cannot work here)."""

import shutil

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
