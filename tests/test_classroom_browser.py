"""The classroom page in a real browser: headless Chromium, one teacher, some students.

Needs Playwright (`pip install playwright`) and Debian's `chromium` package
(`apt-get install chromium`); Playwright's own browser download is never
used. Each test starts its own server on 127.0.0.1 and closes it. Each page
has its own browser context, so each student has their own random id.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS

from nn.apps.classroom import Classroom

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)  # a loaded machine may take seconds to show an update
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="the browser tests need Debian's chromium: apt-get install chromium"
)
WAIT_MS = 10_000  # how long a page may take to show a pushed update (a loaded machine)
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def room() -> Iterator[Classroom]:
    with Classroom("tanh(x*w + b)", "x=2 w=-3 b=6.5") as classroom:
        yield classroom


def open_page(browser: Any, url: str, viewport: dict[str, int] = PROJECTOR) -> Any:
    """A page in a fresh context (its own storage), once its event stream is live."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#connection")).to_have_text("live", timeout=WAIT_MS)
    return page


def test_the_teacher_steps_and_the_student_sees_the_step(browser: Any, room: Classroom) -> None:
    teacher = open_page(browser, room.teacher_url)
    student = open_page(browser, room.student_url, PHONE)
    assert teacher.url.endswith("/?teacher")  # the token left the address bar
    expect(student.locator("#teacher-controls")).to_be_hidden()
    teacher.click("#next")
    expect(student.locator("#current-step")).to_contain_text("step 1 of 3: out = tanh(")
    expect(student.locator("#progress")).to_have_text("step 1 of 3")
    teacher.keyboard.press("ArrowRight")  # the keyboard works too
    expect(student.locator("#steps li")).to_have_count(2)
    teacher.keyboard.press("ArrowLeft")
    expect(student.locator("#steps li")).to_have_count(1)
    assert room.position == 1
    teacher.reload()  # the token was kept for this tab: still the teacher
    expect(teacher.locator("#teacher-controls")).to_be_visible()
    expect(teacher.locator("#progress")).to_have_text("step 1 of 3")


def test_a_formula_typed_by_the_teacher_appears_on_every_page(
    browser: Any, room: Classroom
) -> None:
    teacher = open_page(browser, room.teacher_url)
    student = open_page(browser, room.student_url, PHONE)
    teacher.fill("#expression", "sigmoid(a*b) + a")
    teacher.fill("#values", "a=1 b=-2")
    teacher.click("#show-formula")
    for page in (teacher, student):
        expect(page.locator("#title")).to_have_text("sigmoid(a*b) + a")
        expect(page.locator("#progress")).to_have_text("step 0 of 3")
        graph = page.locator("#graph")
        expect(graph).to_be_visible()
        page.wait_for_function("document.getElementById('graph').naturalWidth > 0")
        assert "v=2" in graph.get_attribute("src")
    teacher.fill("#expression", "open('x')")
    teacher.click("#show-formula")
    expect(teacher.locator("#notice")).to_contain_text("unknown function open")


def test_a_quiz_round_with_one_right_and_one_wrong_student(
    browser: Any, room: Classroom
) -> None:
    teacher = open_page(browser, room.teacher_url)
    right = open_page(browser, room.student_url, PHONE)
    wrong = open_page(browser, room.student_url, PHONE)
    teacher.click("#quiz")
    for student in (right, wrong):
        expect(student.locator("#quiz-question")).to_have_text("What is #4(+).grad after this step? (the box x*w + b)")
    right.click("#hint-button")
    expect(right.locator("#hint")).to_contain_text("d(out)/d(#4(+)) = 0.7864")
    results = room.quiz_results
    assert results is not None
    expected = results["expected"]
    right.fill("#answer", f"{expected:.3f}")
    right.click("#send-answer")
    wrong.fill("#answer", "1")
    wrong.click("#send-answer")
    expect(right.locator("#answer-status")).to_contain_text("Sent")
    expect(teacher.locator("#quiz-counts")).to_contain_text("2 answered")
    teacher.click("#reveal")
    expect(teacher.locator("#quiz-counts")).to_contain_text("2 answered, 1 right")
    expect(teacher.locator("#spread li")).to_have_count(2)
    expect(teacher.locator("#spread li.wrong")).to_contain_text("1 (1)")
    expect(right.locator("#quiz-revealed")).to_contain_text("right!")
    expect(wrong.locator("#quiz-revealed")).to_contain_text("not quite")
    expect(wrong.locator("#current-step")).to_contain_text("step 1 of 3")


def test_a_students_forged_control_request_is_refused(browser: Any, room: Classroom) -> None:
    student = open_page(browser, room.student_url)
    statuses = student.evaluate(
        """async () => {
            const forge = (headers) => fetch("/control", {method: "POST",
                headers: Object.assign({"Content-Type": "application/json"}, headers),
                body: JSON.stringify({action: "run"})}).then((r) => r.status);
            return [await forge({}), await forge({"X-Stepgrad-Token": "guess"}),
                    (await fetch("/events?token=guess")).status];
        }"""
    )
    assert statuses == [401, 403, 403]
    assert room.position == 0
    expect(student.locator("#progress")).to_have_text("step 0 of 3")


def test_a_training_run_streams_to_the_students(browser: Any, room: Classroom) -> None:
    teacher = open_page(browser, room.teacher_url)
    student = open_page(browser, room.student_url, PHONE)
    teacher.select_option("#train-data", "xor")
    teacher.fill("#train-steps", "12")
    teacher.click("#train")
    expect(student.locator("#training-status")).to_contain_text("done: step 12 of 12")
    expect(student.locator("#training-title")).to_contain_text("xor")
    expect(student.locator("#boundary-title")).to_have_text("Decision boundary at step 12")
    expect(student.locator("#boundary circle")).to_have_count(100)  # the data, drawn
    expect(student.locator("#curves polyline")).to_have_count(2)  # loss and accuracy
    expect(teacher.locator("#train")).to_be_enabled()
