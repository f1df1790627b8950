"""Remake classroom.png: the teacher's page as a 1280x720 projector shows it.

    python3 demos/pictures/classroom_shot.py [FOLDER]

Starts a classroom on 127.0.0.1 with micrograd's neuron, opens two student
pages, takes two steps, opens a quiz round that five students answer, and
photographs the teacher's page in Chromium (Debian's `chromium`, driven by
Playwright: `pip install playwright`). The quiz's answer is not on it: the
projector shows only how many answered. Everything stops by itself.
"""

import json
import secrets
import shutil
import sys
import urllib.request
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from nn.apps.classroom import Classroom

PROJECTOR = {"width": 1280, "height": 720}
FORMULA = ("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88")


def answer(room: Classroom, value: float) -> None:
    """One student's answer, sent as the student page sends it."""
    body = json.dumps({"student": secrets.token_hex(16), "answer": str(value)}).encode()
    request = urllib.request.Request(
        f"{room.student_url}answer", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    room = Classroom(*FORMULA)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox"]
            )
            teacher = browser.new_page(viewport=PROJECTOR)
            teacher.goto(room.teacher_url)
            for _ in range(2):
                student = browser.new_page(viewport={"width": 390, "height": 844})
                student.goto(room.student_url)
            room.next()
            room.next()
            room.quiz()
            for value in (0.5, 0.5, 0.25, 0.5, -1.0):
                answer(room, value)
            expect(teacher.locator("#progress")).to_have_text("step 2 of 5")
            expect(teacher.locator("body")).to_contain_text("5 answered")
            expect(teacher.locator("#graph-box g.current")).to_be_visible()
            teacher.wait_for_timeout(1500)  # the view's move to the step ends
            teacher.screenshot(path=str(folder / "classroom.png"))
            browser.close()
    finally:
        room.close()
    print(f"wrote {folder / 'classroom.png'}")


if __name__ == "__main__":
    main()
