"""The classroom page in a real browser: headless Chromium, one teacher, some students.

Needs Playwright (`pip install playwright`) and Debian's `chromium` package
(`apt-get install chromium`); Playwright's own browser download is never
used. Each test starts its own server on 127.0.0.1 and closes it. Each page
has its own browser context, so each student has their own random id.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS, keep_screenshots

from nn.apps.classroom import Classroom

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
expect.set_options(timeout=10_000)  # a loaded machine may take seconds to show an update
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="the browser tests need Debian's chromium: apt-get install chromium"
)
WAIT_MS = 10_000  # how long a page may take to show a pushed update (a loaded machine)
PROJECTOR = {"width": 1280, "height": 720}
LAPTOP = {"width": 1280, "height": 800}
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
    """A page in a fresh context (its own storage), once its event stream is live.

    A phone-sized page is a phone: a touch screen, and the mobile viewport.
    """
    phone = viewport["width"] < 600
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=3 if phone else 1
    )
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
    teacher.click("#formula-toggle")  # the form folds away while a graph is shown
    teacher.fill("#expression", "sigmoid(a*b) + a")
    teacher.fill("#values", "a=1 b=-2")
    teacher.click("#show-formula")
    for page in (teacher, student):
        expect(page.locator("#title")).to_have_text("sigmoid(a*b) + a")
        expect(page.locator("#progress")).to_have_text("step 0 of 3")
        graph = page.locator("#graph-box svg")  # the graph view: inline SVG
        expect(graph).to_be_visible()
        expect(graph.locator("text", has_text="sigmoid").first).to_be_attached()
        assert "v=2" in (page.locator("#graph-box").get_attribute("data-src") or "")
    teacher.click("#formula-toggle")
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
        expect(student.locator("#quiz-question")).to_have_text("What is #4.grad after this step?")
    right.click("#hint-button")
    expect(right.locator("#hint")).to_contain_text("d(out)/d(#4) = 0.7864")
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


# ---------------------------------------------------------------------- the graph view

# The current node's name, on screen: its text's font size times the scale the
# page shows it at, whether it is inside the graph view and the window, and
# whether the page scrolls sideways. Also: whether each child the step updates
# (class `updated`) has its whole box in view, which layout the page shows, and
# whether the output is drawn above the inputs (the tall layout) or to their
# right (the wide one). While a question is open: the same of the node it asks
# about (class `asked`) and its inputs (`asked-input`), with ASKED as argument.
CURRENT = {"node": "g.current", "children": "g.updated"}
ASKED = {"node": "g.asked", "children": "g.asked-input"}
CURRENT_NODE = """(given) => {
    const marks = given || {node: 'g.current', children: 'g.updated'};
    const view = document.querySelector('[data-stepgrad-graph]');
    const node = view && view.querySelector(marks.node);
    if (!node) { return null; }
    const name = node.querySelector('text');
    const onScreen = name.getBoundingClientRect();
    const box = view.getBoundingClientRect();
    const inside = (r) => r.left >= box.left && r.right <= box.right && r.top >= box.top
        && r.bottom <= box.bottom && r.top >= 0 && r.bottom <= window.innerHeight;
    const named = (text) => Array.from(view.querySelectorAll('g.node')).find(
        (group) => group.querySelector('text').textContent === text).getBoundingClientRect();
    return {
        name: name.textContent,
        px: parseFloat(name.getAttribute('font-size')) * onScreen.height / name.getBBox().height,
        inView: inside(onScreen),
        children: Array.from(view.querySelectorAll(marks.children), (child) => ({
            name: child.querySelector('text').textContent,
            inView: inside(child.querySelector('polygon, path').getBoundingClientRect()),
            nameInView: inside(child.querySelector('text').getBoundingClientRect()),
        })),
        sideways: document.documentElement.scrollWidth > window.innerWidth,
        layout: view.dataset.layout,
        outputAbove: named('out').bottom < named('x1').top,
        outputRight: named('out').left > named('x1').right,
    };
}"""


def current_node(page: Any, marks: dict[str, str] = CURRENT) -> dict[str, Any]:
    """The current node (or with ASKED, the node a question asks about), once the
    view shows the latest drawing and has stopped moving."""
    return settled(page, CURRENT_NODE, marks)


def settled(page: Any, script: str, argument: Any = None) -> dict[str, Any]:
    """What `script` measures in the graph view, once the view shows the latest
    drawing and has stopped moving."""
    page.wait_for_function(
        "() => { const view = document.querySelector('[data-stepgrad-graph]');"
        " return view.dataset.src && view.dataset.shown === view.dataset.src; }"
    )
    # The move to the step takes 350 ms (after a frame or two; longer on a loaded
    # machine): measure once two looks 300 ms apart agree.
    measured = None
    for _ in range(20):
        page.wait_for_timeout(300)
        before, measured = measured, page.evaluate(script, argument)
        if measured is not None and measured == before:
            break
    assert measured is not None
    return measured


@pytest.mark.parametrize(
    ("who", "viewport", "smallest"),
    [
        ("teacher", PROJECTOR, 16),
        ("student", LAPTOP, 16),
        ("student", PHONE, 14),
        ("teacher", PHONE, 14),
    ],
    ids=["teacher-projector", "student-laptop", "student-phone", "teacher-phone"],
)
def test_the_graph_follows_the_step_at_a_readable_size(
    browser: Any, who: str, viewport: dict[str, int], smallest: float, tmp_path: Any
) -> None:
    with Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88") as room:
        page = open_page(browser, room.student_url, viewport)
        teacher = open_page(browser, room.teacher_url, viewport) if who == "teacher" else None
        page = teacher or page
        stepper = teacher or open_page(browser, room.teacher_url)
        names = []
        for step in range(1, 5):
            stepper.click("#next")
            expect(page.locator("#progress")).to_have_text(f"step {step} of 5")
            measured = current_node(page)
            names.append(measured["name"])
            print(f"{who} {viewport['width']}x{viewport['height']}, step {step}:", measured)
            assert measured["px"] >= smallest, measured
            assert measured["inView"], measured
            # The children this step adds to are in view too.
            assert measured["children"] and all(c["inView"] for c in measured["children"])
            assert not measured["sideways"], measured
            # A phone held upright gets the output on top, its inputs below.
            if viewport is PHONE:
                assert measured["layout"] == "tall" and measured["outputAbove"], measured
            else:
                assert measured["layout"] == "wide" and not measured["outputAbove"], measured
                assert measured["outputRight"], measured
        page.screenshot(path=str(tmp_path / f"graph-{who}-{viewport['width']}.png"))
        # The whole graph, the current node still marked; W again: back to the step.
        page.locator(".stepgrad-graph-whole").click()
        page.wait_for_timeout(600)
        whole = page.evaluate(CURRENT_NODE)
        assert whole["px"] < measured["px"] and whole["name"] == measured["name"]
        page.keyboard.press("w")  # anywhere on the page
        assert current_node(page)["px"] >= smallest
        assert len(set(names)) == 4  # a new node at every step
        # Wheel zooms (pinch and drag are Panzoom's too).
        view = page.locator("[data-stepgrad-graph]").bounding_box()
        page.mouse.move(view["x"] + view["width"] / 2, view["y"] + 50)
        before = page.evaluate(CURRENT_NODE)["px"]
        page.mouse.wheel(0, 300)
        page.wait_for_timeout(300)
        assert page.evaluate(CURRENT_NODE)["px"] < before
        keep_screenshots(tmp_path)


# Before the first step: the output's text size on screen, and which nodes have
# their whole box in the view (and the window).
START_VIEW = """() => {
    const view = document.querySelector('[data-stepgrad-graph]');
    const box = view.getBoundingClientRect();
    const inside = (r) => r.left >= box.left && r.right <= box.right && r.top >= box.top
        && r.bottom <= box.bottom && r.top >= 0 && r.bottom <= window.innerHeight;
    const output = view.querySelector('g.output text');
    const shown = Array.from(view.querySelectorAll('g.node'), (group) =>
        inside(group.querySelector('polygon, path, ellipse').getBoundingClientRect()));
    return {
        output: output.textContent,
        px: parseFloat(output.getAttribute('font-size'))
            * output.getBoundingClientRect().height / output.getBBox().height,
        inView: inside(output.getBoundingClientRect()),
        nodes: shown.length,
        nodesInView: shown.filter(Boolean).length,
    };
}"""


def start_view(page: Any) -> dict[str, Any]:
    return settled(page, START_VIEW)


@pytest.mark.parametrize(("viewport", "smallest"), [(PROJECTOR, 16), (PHONE, 14)],
                         ids=["projector", "phone"])
def test_before_the_first_step_the_output_is_shown_at_a_readable_size(
    browser: Any, viewport: dict[str, int], smallest: float, tmp_path: Any
) -> None:
    # The whole neuron would be 10 px on the projector and 8 px on a phone.
    with Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88") as room:
        page = open_page(browser, room.student_url, viewport)
        start = start_view(page)
        print(f"{viewport['width']}x{viewport['height']}, before the first step:", start)
        assert start["output"] == "out" and start["px"] >= smallest and start["inView"], start
        assert 3 <= start["nodesInView"] < start["nodes"], start  # the output and what leads to it
        page.screenshot(path=str(tmp_path / f"start-{viewport['width']}.png"))
        page.locator(".stepgrad-graph-whole").click()  # "Whole graph": all of it, smaller
        whole = start_view(page)
        assert whole["nodesInView"] == whole["nodes"] and whole["px"] < start["px"], whole
        keep_screenshots(tmp_path)


def test_before_the_first_step_a_graph_readable_whole_is_shown_whole(browser: Any) -> None:
    with Classroom("x*w", "x=2 w=-3") as room:
        page = open_page(browser, room.student_url, PROJECTOR)
        start = start_view(page)
        assert start["nodesInView"] == start["nodes"] and start["px"] >= 16, start


SHOWS_LAYOUT = "(layout) => document.querySelector('#graph-box').dataset.layout === layout"


def test_a_phone_turned_sideways_gets_the_wide_layout_and_back(browser: Any) -> None:
    with Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88") as room:
        phone = open_page(browser, room.student_url, PHONE)
        room.next()
        room.next()
        assert current_node(phone)["layout"] == "tall"
        phone.set_viewport_size({"width": PHONE["height"], "height": PHONE["width"]})
        phone.wait_for_function(SHOWS_LAYOUT, arg="wide")
        turned = current_node(phone)
        assert turned["outputRight"] and turned["inView"] and turned["px"] >= 14, turned
        phone.set_viewport_size(PHONE)
        phone.wait_for_function(SHOWS_LAYOUT, arg="tall")
        back = current_node(phone)
        assert back["outputAbove"] and back["inView"] and back["px"] >= 14, back
        assert all(child["inView"] for child in back["children"]), back


def test_a_quiz_opened_above_the_graph_on_a_phone_shows_the_step_it_asks_about(
    browser: Any,
) -> None:
    with Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88") as room:
        phone = open_page(browser, room.student_url, PHONE)
        room.next()
        asked = []
        for step in range(1, 5):
            expect(phone.locator("#progress")).to_have_text(f"step {step} of 5")
            current_node(phone)
            room.quiz()  # the question opens above the graph and pushes it down
            expect(phone.locator("#quiz-step")).to_have_text(str(step + 1))
            # The view moves to the node of the step asked about and its inputs.
            measured = current_node(phone, ASKED)
            print(f"student 390x844, quiz after step {step}:", measured)
            assert measured["px"] >= 14 and measured["inView"], measured
            assert len(measured["children"]) == 2, measured
            assert all(child["inView"] for child in measured["children"]), measured
            asked.append(measured["name"])
            # The Hint opens above the graph and pushes it further down: the view
            # moves again, the node and its inputs' names still in view.
            phone.click("#hint-button")
            expect(phone.locator("#hint")).to_be_visible()
            hinted = current_node(phone, ASKED)
            print(f"student 390x844, hint after step {step}:", hinted)
            assert hinted["px"] >= 14 and hinted["inView"], hinted
            assert all(child["nameInView"] for child in hinted["children"]), hinted
            room.reveal()  # takes the step
        assert asked == ["#8 = x1*w1 + x2*w2 + b", "#6 = x1*w1 + x2*w2", "#5 = x2*w2", "#2 = x1*w1"]


def test_the_projected_quiz_shows_the_nodes_its_question_names(browser: Any) -> None:
    with Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88") as room:
        teacher = open_page(browser, room.teacher_url, PROJECTOR)
        for _ in range(4):
            room.next()
        expect(teacher.locator("#progress")).to_have_text("step 4 of 5")
        assert current_node(teacher)["name"] == "#5 = x2*w2"  # x1 and w1 are off the view
        room.quiz()
        expect(teacher.locator("#quiz-question")).to_have_text("What is x1.grad after this step?")
        measured = current_node(teacher, ASKED)
        print("teacher 1280x720, quiz after step 4:", measured)
        assert measured["name"] == "#2 = x1*w1" and measured["px"] >= 16 and measured["inView"]
        assert [(c["name"], c["inView"]) for c in measured["children"]] == [
            ("x1", True), ("w1", True)
        ], measured
        # x1's grad as it is before the step: the picture gives no answer away
        x1 = teacher.locator("[data-stepgrad-graph] g.asked-input", has_text="x1")
        expect(x1).to_contain_text("grad 0.0000")


# ---------------------------------------------------------------------- a whole lesson (issue 18)


def base_url(room: Classroom) -> str:
    return f"http://127.0.0.1:{room.port}"


def start_quiz(teacher: Any, room: Classroom) -> str:
    """The teacher clicks Quiz; returns the answer as the page writes it."""
    teacher.click("#quiz")
    expect(teacher.locator("#quiz-panel")).to_be_visible()
    results = room.quiz_results
    assert results is not None
    return str(results["expected_text"])


def a_class(browser: Any, room: Classroom) -> tuple[Any, Any, Any]:
    """The projected teacher page, a laptop student and a phone student."""
    return (
        open_page(browser, room.teacher_url),
        open_page(browser, room.student_url),
        open_page(browser, room.student_url, PHONE),
    )


def test_the_projected_teacher_page_shows_no_answer_before_reveal(
    browser: Any, room: Classroom
) -> None:
    teacher, laptop, phone = a_class(browser, room)
    expected = start_quiz(teacher, room)
    laptop.fill("#answer", expected)
    laptop.click("#send-answer")
    phone.fill("#answer", "1")
    phone.click("#send-answer")
    expect(teacher.locator("#quiz-counts")).to_have_text("2 answered so far")
    shown = teacher.locator("body").inner_text()
    assert expected not in shown and "right" not in shown
    assert teacher.locator("#spread li").count() == 0
    assert not teacher.locator("#hint").inner_text()  # the hint gives it away too
    # The teacher looks privately: the answers show only while Peek is held down.
    teacher.hover("#peek")
    teacher.mouse.down()
    expect(teacher.locator("#peek-box")).to_contain_text(f"Answer {expected}: 1 of 2 right")
    teacher.mouse.up()
    expect(teacher.locator("#peek-box")).to_be_hidden()
    assert expected not in teacher.locator("body").inner_text()
    teacher.click("#reveal")
    expect(teacher.locator("#quiz-counts")).to_have_text("2 answered, 1 right")
    expect(teacher.locator("#quiz-revealed")).to_contain_text(f"Answer: {expected}.")
    expect(teacher.locator("#spread li")).to_have_count(2)
    # After Reveal the round is over for the students: no "change it", no hint.
    for student in (laptop, phone):
        expect(student.locator("#quiz-revealed")).to_be_visible()
        assert "change it" not in student.locator("#quiz-panel").inner_text()
        expect(student.locator("#hint-button")).to_be_hidden()
        expect(student.locator("#send-answer")).to_be_disabled()


def test_a_presenter_page_shows_the_answers_to_the_teacher_only(
    browser: Any, room: Classroom
) -> None:
    teacher = open_page(browser, room.teacher_url)
    with teacher.context.expect_page() as opened:
        teacher.click("#presenter-link")  # a new tab, for the teacher's own screen
    presenter = opened.value
    expect(presenter.locator("#role")).to_have_text("Presenter (private)")
    assert presenter.url.endswith("/?teacher&presenter")
    elsewhere = open_page(browser, room.presenter_url)  # the link, on a second computer
    expect(elsewhere.locator("#role")).to_have_text("Presenter (private)")
    expected = start_quiz(teacher, room)
    for page in (presenter, elsewhere):
        expect(page.locator("#peek-box")).to_contain_text(f"Answer {expected}")
    assert expected not in teacher.locator("body").inner_text()


def test_a_reloaded_student_keeps_their_answer(browser: Any, room: Classroom) -> None:
    teacher, laptop, phone = a_class(browser, room)
    expected = start_quiz(teacher, room)
    phone.fill("#answer", expected)
    phone.click("#send-answer")
    expect(phone.locator("#answer-status")).to_contain_text("Sent")
    phone.reload()
    expect(phone.locator("#connection")).to_have_text("live")
    expect(phone.locator("#answer")).to_have_value(expected)
    expect(phone.locator("#answer-status")).to_contain_text(f"Sent: {expected}.")
    teacher.click("#reveal")
    phone.reload()
    expect(phone.locator("#quiz-revealed")).to_contain_text(f"You said {float(expected):g}: right!")
    expect(laptop.locator("#quiz-revealed")).not_to_contain_text("You said")


def test_a_late_student_at_step_3_can_open_step_1s_arithmetic(
    browser: Any, room: Classroom
) -> None:
    room.next()
    room.next()
    room.next()
    late = open_page(browser, room.student_url, PHONE)
    expect(late.locator("#steps li")).to_have_count(3)
    first = late.locator("#steps li").first
    arithmetic = first.locator(".arithmetic")
    expect(arithmetic).to_be_hidden()
    first.locator("summary").click()
    expect(arithmetic).to_be_visible()
    expect(arithmetic).to_contain_text("#4.grad += out.grad * d(out)/d(#4)")
    # A line wraps only between terms: no term is cut, none sticks out of the box.
    for term in arithmetic.locator(".term").all():
        boxes = term.evaluate("(element) => element.getClientRects().length")
        assert boxes == 1, term.inner_text()
    assert late.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_teacher_page_shows_the_students_link_and_how_many_are_here(
    browser: Any, room: Classroom
) -> None:
    teacher = open_page(browser, room.teacher_url)
    expect(teacher.locator("#student-link")).to_have_text(room.student_url)
    expect(teacher.locator("#student-count")).to_have_text("0 students connected")
    font_size = teacher.locator("#student-link").evaluate(
        "(element) => parseFloat(getComputedStyle(element).fontSize)"
    )
    assert font_size >= 24  # large type, for the back of the room
    # (decode() waits for the picture; wait_for_function would need eval, which the page's
    # Content-Security-Policy refuses once it has to poll.)
    qr_width = teacher.locator("#qr").evaluate("(image) => image.decode().then(() => image.naturalWidth)")
    assert qr_width > 0
    laptop = open_page(browser, room.student_url)
    phone = open_page(browser, room.student_url, PHONE)
    expect(teacher.locator("#student-count")).to_have_text("2 students connected")
    phone.context.close()
    expect(teacher.locator("#student-count")).to_have_text("1 student connected")
    teacher.click("#qr-button")
    expect(teacher.locator("#qr-overlay")).to_be_visible()
    expect(teacher.locator("#student-link-large")).to_have_text(room.student_url)
    assert laptop.locator("#room").is_hidden()  # a student page has no such header


def test_the_teacher_address_opens_the_teacher_page_in_a_second_tab(
    browser: Any, room: Classroom
) -> None:
    teacher = open_page(browser, room.teacher_url)
    assert teacher.url == base_url(room) + "/?teacher"
    second_tab = teacher.context.new_page()
    second_tab.goto(teacher.url)
    expect(second_tab.locator("#teacher-controls")).to_be_visible()
    expect(second_tab.locator("#role")).to_have_text("Teacher")
    second_tab.click("#next")
    expect(teacher.locator("#progress")).to_have_text("step 1 of 3")
    # Another browser (no token kept) is told why it gets a student's page.
    stranger = open_page(browser, base_url(room) + "/?teacher")
    expect(stranger.locator("#teacher-controls")).to_be_hidden()
    expect(stranger.locator("#offline")).to_contain_text("no teacher token")


def count_picture_changes(page: Any) -> None:
    """Count, in the page, each time the drawn boundary or curves change."""
    page.evaluate(
        """() => {
            window.pictureChanges = [];
            let last = "";
            const observer = new MutationObserver(() => {
                const now = document.getElementById("boundary").innerHTML +
                    document.getElementById("curves").innerHTML;
                if (now !== last) {
                    last = now;
                    window.pictureChanges.push(performance.now());
                }
            });
            for (const id of ["boundary", "curves"]) {
                observer.observe(document.getElementById(id), {childList: true, subtree: true});
            }
            window.trainClicked = performance.now();
        }"""
    )


def test_training_pictures_change_at_least_15_times_in_4_seconds(
    browser: Any, room: Classroom
) -> None:
    teacher = open_page(browser, room.teacher_url)
    phone = open_page(browser, room.student_url, PHONE)
    teacher.fill("#train-steps", "1000")
    count_picture_changes(phone)
    teacher.click("#train")
    phone.wait_for_timeout(4500)
    changes = phone.evaluate(
        "window.pictureChanges.filter((t) => t - window.trainClicked <= 4000).length"
    )
    assert changes >= 15, changes
    # Each picture says what it shows, and the boundary is kept square (aspect kept).
    title = phone.locator("#boundary-title").inner_text()
    assert title.startswith("Decision boundary at step ")
    width, height = phone.locator("#boundary").evaluate(
        "(svg) => [svg.getBoundingClientRect().width, svg.getBoundingClientRect().height]"
    )
    assert abs(width - height) < 2
    # Pause stops at the step it shows: the status, the boundary and the run agree.
    teacher.click("#pause")
    expect(phone.locator("#training-status")).to_contain_text("paused: step ")
    status = phone.locator("#training-status").inner_text()
    step = int(status.split("paused: step ")[1].split(" ")[0])
    expect(phone.locator("#boundary-title")).to_have_text(f"Decision boundary at step {step}")
    phone.wait_for_timeout(1000)
    assert phone.locator("#training-status").inner_text() == status
    assert room.lesson.training.run is not None and len(room.lesson.training.run.loss) == step
    teacher.click("#stop")
    expect(phone.locator("#training-status")).to_contain_text("stopped")


def test_a_restart_with_a_token_keeps_the_teacher_link(browser: Any) -> None:
    token = "kept-token-for-this-course-0123456789"
    first = Classroom("x * w", "x=2 w=-3", token=token)
    port = first.port
    teacher = phone = None
    try:
        teacher = open_page(browser, first.teacher_url)
        phone = open_page(browser, first.student_url, PHONE)
        teacher.fill("#train-steps", "5")
        teacher.click("#train")
        expect(phone.locator("#training-status")).to_contain_text("done: step 5 of 5")
        teacher.click("#next")
        expect(phone.locator("#steps li")).to_have_count(1)
    finally:
        first.close()
    assert teacher is not None and phone is not None
    # While the server is down, a click says it failed; no button pretends to work.
    expect(teacher.locator("#offline")).to_contain_text("cannot be reached")
    teacher.evaluate("control('reset')")
    expect(teacher.locator("#notice")).to_contain_text("server did not answer")
    expect(teacher.locator("#next")).to_be_disabled()
    with Classroom(port=port, token=token) as second:
        # Every page comes back by itself, and shows only what the new server has.
        expect(teacher.locator("#connection")).to_have_text("live")
        expect(teacher.locator("#teacher-controls")).to_be_visible()
        expect(teacher.locator("#offline")).to_be_hidden()
        for page in (teacher, phone):
            expect(page.locator("#training-status")).to_have_text("No training yet.")
            expect(page.locator("#boundary-figure")).to_be_hidden()
            expect(page.locator("#curves-figure")).to_be_hidden()
            expect(page.locator("#steps li")).to_have_count(0)
        expect(teacher.locator("#next")).to_be_disabled()  # no graph: nothing to step
        expect(teacher.locator("#train")).to_be_enabled()
        # The link the teacher bookmarked still works in a new tab.
        again = teacher.context.new_page()
        again.goto(f"http://127.0.0.1:{second.port}/?teacher")
        expect(again.locator("#role")).to_have_text("Teacher")
        expect(again.locator("#connection")).to_have_text("live")


def test_at_1280x720_the_graph_and_this_steps_arithmetic_are_on_the_first_screen(
    browser: Any,
) -> None:
    with Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88") as room:
        teacher = open_page(browser, room.teacher_url)
        laptop = open_page(browser, room.student_url)
        room.next()
        room.next()
        room.quiz()  # the question takes room too
        for page in (teacher, laptop):
            expect(page.locator("#quiz-panel")).to_be_visible()
            expect(page.locator("#current-step")).to_contain_text("step 2 of 5")
            graph = page.locator("#graph-panel").bounding_box()
            step = page.locator("#current-step").bounding_box()
            panel = page.locator("#step-panel").bounding_box()
            assert graph["y"] < 300 and graph["x"] + graph["width"] <= step["x"]  # side by side
            assert step["y"] + step["height"] <= PROJECTOR["height"], step
            # The arithmetic takes the width of its panel, and wraps only between terms.
            assert step["width"] >= 0.85 * panel["width"]
            for term in page.locator("#current-step .term").all():
                assert term.evaluate("(element) => element.getClientRects().length") == 1


def test_after_a_restart_with_a_new_token_the_old_teacher_page_says_why(browser: Any) -> None:
    first = Classroom("x * w", "x=2 w=-3")
    port = first.port
    try:
        teacher = open_page(browser, first.teacher_url)
    finally:
        first.close()
    with Classroom(port=port):  # no token given: a new one
        expect(teacher.locator("#offline")).to_contain_text("teacher link is out of date")
        expect(teacher.locator("#next")).to_be_disabled()
