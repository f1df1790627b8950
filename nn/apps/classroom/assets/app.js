// The stepgrad classroom page: shows the lesson the server pushes (Server-Sent
// Events), sends the teacher's clicks and the students' answers. Everything
// shown is set with textContent, or drawn as SVG elements from numbers: no
// text from the server is ever parsed as HTML. (The graph view,
// engine/views/web, parses the server's Graphviz drawing as SVG, without scripts.)
"use strict";

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ who am I

// The teacher's link carries ?token=...; keep the token in this browser and take
// it out of the address bar, so a projector does not show it to the class.
// "/?teacher" (what the address bar then shows, and what a bookmark keeps)
// opens the teacher's page in any tab of this browser.
const TOKEN_KEY = "stepgrad-token";
const params = new URLSearchParams(location.search);
// A presenter link ("/?teacher&presenter") is for the teacher's own screen:
// it shows the quiz's answers before Reveal. Never put it on the projector.
const isPresenter = params.has("presenter");

function teacherToken() {
  const fromUrl = params.get("token");
  if (fromUrl) {
    localStorage.setItem(TOKEN_KEY, fromUrl);
    history.replaceState(null, "", isPresenter ? "/?teacher&presenter" : "/?teacher");
    return fromUrl;
  }
  if (params.has("teacher")) {
    return localStorage.getItem(TOKEN_KEY);
  }
  return null;
}

const token = teacherToken();
const isTeacher = token !== null;
const askedForTeacher = params.has("teacher") && !isTeacher;

// A student is a random id made up by this browser, and a name made from it.
// Neither is personal: nothing about the student is asked or stored.
function studentId() {
  let id = localStorage.getItem("stepgrad-student");
  if (!id || !/^[0-9a-f]{32}$/.test(id)) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("stepgrad-student", id);
  }
  return id;
}

const ADJECTIVES = ["Brave", "Calm", "Clever", "Curious", "Eager", "Gentle", "Happy",
  "Keen", "Lively", "Lucky", "Nimble", "Quiet", "Quick", "Steady", "Sunny", "Witty"];
const ANIMALS = ["Otter", "Falcon", "Panda", "Heron", "Lynx", "Badger", "Koala", "Gecko",
  "Robin", "Bison", "Orca", "Ibis", "Marten", "Puffin", "Tapir", "Wombat"];

const student = isTeacher ? null : studentId();
const studentName = student
  ? ADJECTIVES[parseInt(student.slice(0, 2), 16) % 16] + " " +
    ANIMALS[parseInt(student.slice(2, 4), 16) % 16]
  : "";

document.body.classList.add(isTeacher ? "is-teacher" : "is-student");
document.body.classList.toggle("is-presenter", isTeacher && isPresenter);
$("role").textContent = isTeacher ? (isPresenter ? "Presenter (private)" : "Teacher") : "Student";
$("student-name").textContent = student ? "You are " + studentName + " (a random name)" : "";
for (const element of document.querySelectorAll(".teacher-only")) {
  element.hidden = !isTeacher;
}
for (const element of document.querySelectorAll(".student-only")) {
  element.hidden = isTeacher;
}

if (askedForTeacher) {
  showOffline("This is the teacher's address, but this browser has no teacher token: " +
    "open the teacher link that `stepgrad serve` printed (it ends in ?token=…). " +
    "Until then this is a student's page.");
}

// ------------------------------------------------------------------ talking to the server

async function post(path, body, headers) {
  const response = await fetch(path, {
    method: "POST",
    headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
    body: JSON.stringify(body),
  });
  let reply = {};
  try {
    reply = await response.json();
  } catch (error) {
    reply = { error: response.statusText };
  }
  return { ok: response.ok, status: response.status, reply: reply };
}

async function control(action, extra) {
  const body = Object.assign({ action: action }, extra || {});
  let result;
  try {
    result = await post("/control", body, { "X-Stepgrad-Token": token });
  } catch (error) {
    // The server is down (or the network): say so, do not fail silently.
    $("notice").textContent = "The server did not answer, so " + action +
      " was not done. Is `stepgrad serve` still running?";
    return { ok: false, status: 0, reply: {} };
  }
  $("notice").textContent = result.ok ? "" : result.reply.error || "refused";
  if (result.ok && action !== "peek") {
    render(result.reply);
  }
  return result;
}

// While the server cannot be reached, the page says so and offers no button:
// what it shows may be gone (a restart forgets the lesson).
function showOffline(message) {
  $("offline").textContent = message;
  $("offline").hidden = !message;
}

function setOffline(offline) {
  document.body.classList.toggle("offline", offline);
  for (const button of document.querySelectorAll("main button, main input, main select")) {
    if (offline) {
      button.disabled = true;
    }
  }
}

function connect() {
  const url = isTeacher ? "/events?token=" + encodeURIComponent(token) : "/events";
  const events = new EventSource(url);
  events.addEventListener("state", (event) => {
    $("connection").textContent = "live";
    $("connection").className = "connection live";
    if (!askedForTeacher) {
      showOffline("");
    }
    document.body.classList.remove("offline");
    for (const element of document.querySelectorAll("main input, main select, main button")) {
      element.disabled = false; // render() disables what the state does not allow
    }
    render(JSON.parse(event.data));
  });
  events.onerror = () => {
    $("connection").textContent = "reconnecting…";
    $("connection").className = "connection";
    setOffline(true);
    showOffline("The server cannot be reached: reconnecting… (what is shown may be out of date)");
    if (isTeacher) {
      // A wrong or old token (the server restarted): say so instead of retrying forever.
      fetch("/state?token=" + encodeURIComponent(token)).then((response) => {
        if (response.status === 403) {
          events.close();
          $("connection").textContent = "teacher link out of date";
          showOffline("This teacher link is out of date (the server restarted with a new " +
            "token): open the new teacher link that `stepgrad serve` printed, or start it " +
            "with --token-file to keep one link.");
        }
      }, () => {});
    }
  };
}

// ------------------------------------------------------------------ showing the state

let shownStep = null;
let shownSteps = null;
let quizRound = null;
let lessonId = null;
let myAnswer = null;

function render(state) {
  lessonId = state.lesson;
  $("title").textContent = state.source || (state.graph ? "Graph" : "Waiting for the teacher…");
  $("progress").textContent = state.graph ? "step " + state.position + " of " + state.total : "";
  // The graph view (engine/views/web/page.js) fetches and shows the drawing at
  // one of these addresses: the tall layout on a screen held upright.
  $("graph-box").dataset.srcTall = state.graph_tall || "";
  $("graph-box").dataset.src = state.graph || "";
  const current = state.current_step ? state.current_step.text : "";
  if (current !== shownStep) { // redrawn only when it changes (training updates come often)
    shownStep = current;
    if (current) {
      showArithmetic($("current-step"), current);
    } else {
      $("current-step").textContent = "No step taken yet.";
    }
  }
  renderSteps(state.step_texts);
  renderQuiz(state.quiz);
  renderTraining(state.training);
  if (isTeacher) {
    renderRoom(state.room);
    const quizOpen = state.quiz && !state.quiz.revealed;
    $("reveal").disabled = !quizOpen;
    $("quiz").disabled = !state.graph || quizOpen || state.position >= state.total;
    $("next").disabled = !state.graph || (state.position >= state.total && !quizOpen);
    $("back").disabled = !state.graph || (state.position === 0 && !quizOpen);
    $("run").disabled = $("reset").disabled = !state.graph;
    if (!$("expression").value && state.source) {
      $("expression").value = state.source;
      $("values").value = state.values;
    }
    if (!state.graph) {
      showFormulaForm(true); // nothing to step yet: the formula is what to do first
    }
  }
}

// A step's arithmetic, one line per update: each line wraps only between its
// terms (at " = ", " += ", " * ", ", " and before the "(x.grad: 0 -> 1)" note), so a
// number or a d(out)/d(x) is never cut, and it takes the width the box has.
function showArithmetic(element, text) {
  element.replaceChildren();
  for (const line of text.split("\n")) {
    const row = document.createElement("div");
    row.className = line.startsWith(" ") ? "line update" : "line";
    const pieces = line.trim().split(/( \+?= | \* |, | {3})/);
    for (let i = 0; i < pieces.length; i += 2) {
      const term = document.createElement("span");
      term.className = "term";
      term.textContent = pieces[i];
      row.appendChild(term);
      if (i + 1 < pieces.length) {
        row.appendChild(document.createTextNode(pieces[i + 1]));
      }
    }
    element.appendChild(row);
  }
}

// Every step taken, newest last; each opens to its arithmetic (a late joiner,
// or a student who looked away, can go back to any of them).
function renderSteps(texts) {
  const key = JSON.stringify(texts);
  if (key === shownSteps) {
    return; // unchanged: leave the list, what is open in it, and where it is scrolled
  }
  shownSteps = key;
  const list = $("steps");
  const open = new Set();
  list.querySelectorAll("details[open]").forEach((details) => open.add(details.dataset.text));
  list.replaceChildren();
  texts.forEach((text, index) => {
    const item = document.createElement("li");
    const details = document.createElement("details");
    details.dataset.text = text;
    details.open = open.has(text);
    const summary = document.createElement("summary");
    summary.textContent = text.split("\n")[0];
    const body = document.createElement("div");
    body.className = "arithmetic";
    showArithmetic(body, text);
    details.append(summary, body);
    item.appendChild(details);
    if (index === texts.length - 1) {
      item.className = "current";
    }
    list.appendChild(item);
  });
  list.scrollTop = list.scrollHeight; // the newest step in view (the page itself stays put)
}

// ------------------------------------------------------------------ the quiz

// A student's answer is kept in this browser (for this lesson and round), so a
// reload shows it again, with what the server said about it.
const ANSWER_KEY = "stepgrad-answer";

function savedAnswer(round) {
  try {
    const saved = JSON.parse(localStorage.getItem(ANSWER_KEY) || "null");
    if (saved && saved.lesson === lessonId && saved.round === round) {
      return saved;
    }
  } catch (error) {
    // an unreadable entry: forget it
  }
  return null;
}

function renderQuiz(quiz) {
  $("quiz-panel").hidden = !quiz;
  if (!quiz) {
    quizRound = null;
    $("peek-box").hidden = true;
    return;
  }
  if (quiz.round !== quizRound) {
    quizRound = quiz.round;
    myAnswer = null;
    $("answer").value = "";
    $("answer-status").textContent = "";
    $("hint").hidden = true;
    const saved = isTeacher ? null : savedAnswer(quiz.round);
    if (saved) {
      myAnswer = saved.answer;
      $("answer").value = saved.text;
      $("answer-status").textContent = "Sent: " + saved.text + ".";
    }
  }
  $("quiz-step").textContent = String(quiz.step);
  $("quiz-question").textContent = quiz.question;
  $("hint").textContent = quiz.hint ? "Hint: " + quiz.hint : "";
  $("answer").disabled = quiz.revealed;
  $("send-answer").disabled = quiz.revealed;
  $("hint-button").hidden = quiz.revealed;
  if (quiz.revealed) {
    $("hint").hidden = true;
    $("answer-status").textContent = myAnswer !== null ? "" : "The answer is revealed: the round is over.";
  } else if (myAnswer !== null) {
    $("answer-status").textContent = "Sent: " + $("answer").value.trim() +
      ". You can change it until the reveal.";
  }
  const revealed = $("quiz-revealed");
  revealed.hidden = !quiz.revealed;
  if (quiz.revealed) {
    let text = "Answer: " + quiz.expected_text + ".";
    if (myAnswer !== null) {
      const tolerance = quiz.tolerance.absolute + quiz.tolerance.relative * Math.abs(quiz.expected);
      const right = Math.abs(myAnswer - quiz.expected) <= tolerance;
      text += " You said " + myAnswer + ": " + (right ? "right!" : "not quite.");
      revealed.className = "revealed " + (right ? "right" : "wrong");
    } else {
      revealed.className = "revealed";
    }
    text += " " + quiz.right + " of " + quiz.answered + " answered right.";
    revealed.textContent = text;
  }
  if (isTeacher) {
    // The teacher's page is on the projector: until Reveal, only the count.
    $("quiz-counts").textContent = quiz.answered + " answered" +
      (quiz.revealed ? ", " + quiz.right + " right" : " so far");
    $("peek").hidden = quiz.revealed || isPresenter;
    renderSpread($("spread"), quiz.revealed ? quiz.spread : []);
    if (isPresenter && !quiz.revealed) {
      peek(true);
    } else if (quiz.revealed) {
      $("peek-box").hidden = true;
    }
  }
}

// How many gave each answer, right ones green (the teacher's view).
function renderSpread(spread, bars) {
  spread.replaceChildren();
  const most = Math.max(1, ...bars.map((bar) => bar.count));
  for (const bar of bars) {
    const item = document.createElement("li");
    item.className = bar.right ? "right" : "wrong";
    const label = document.createElement("span");
    label.className = "spread-label";
    label.textContent = bar.answer + " (" + bar.count + ")";
    const fill = document.createElement("span");
    fill.className = "spread-bar";
    fill.style.width = Math.round((100 * bar.count) / most) + "%";
    item.append(label, fill);
    spread.appendChild(item);
  }
}

// The teacher's private look at the open question: asked for while the Peek
// button is held down (or always, on a presenter page), hidden on release.
let peeking = false;

async function peek(on) {
  peeking = on;
  const box = $("peek-box");
  if (!on) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const result = await control("peek");
  const quiz = result.ok ? result.reply.quiz : null;
  if (!peeking || !quiz || quiz.revealed) {
    return;
  }
  const line = document.createElement("p");
  line.textContent = "Answer " + quiz.expected_text + ": " + quiz.right + " of " +
    quiz.answered + " right. Hint: " + quiz.hint;
  const bars = document.createElement("ul");
  bars.className = "spread";
  renderSpread(bars, quiz.spread);
  box.replaceChildren(line, bars);
  box.hidden = false;
}

// The formula form folds away (the projector's first screen is for the graph
// and the step); "New formula…" opens it.
function showFormulaForm(shown) {
  $("formula-form").hidden = !shown;
  $("formula-toggle").setAttribute("aria-expanded", String(shown));
}

// ------------------------------------------------------------------ the room (teacher)

function renderRoom(room) {
  $("room").hidden = !room || !room.student_url;
  if (!room || !room.student_url) {
    return;
  }
  if ($("student-link").textContent !== room.student_url) {
    $("student-link").textContent = room.student_url;
    $("student-link").href = room.student_url;
    $("student-link-large").textContent = room.student_url;
    $("qr").src = room.qr;
    $("qr-large").src = room.qr;
  }
  $("student-count").textContent =
    room.students + (room.students === 1 ? " student" : " students") + " connected";
}

// ------------------------------------------------------------------ training

const SVG = $("boundary").namespaceURI; // the SVG namespace, from the page's own <svg>
const CLASS_COLOURS = ["#1d4ed8", "#dc2626", "#15803d"]; // as nn/apps/plots.py
const REGION_COLOURS = ["#bfdbfe", "#fecaca", "#bbf7d0"];

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, String(value));
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

let scrollToTraining = false;

function renderTraining(training) {
  if (!training) {
    // Nothing (or the server restarted): no picture of an older run stays up.
    $("training-title").textContent = "";
    $("training-status").textContent = "No training yet.";
    $("boundary").replaceChildren();
    $("curves").replaceChildren();
    $("boundary-figure").hidden = true;
    $("curves-figure").hidden = true;
    setTrainingButtons(null);
    return;
  }
  $("training-title").textContent = training.title;
  const last = training.loss.length - 1;
  let text = training.status + ": step " + training.step;
  if (training.steps) {
    text += " of " + training.steps;
  }
  if (last >= 0 && training.loss[last] !== null) {
    text += ", loss " + training.loss[last].toFixed(4);
  }
  if (last >= 0 && training.accuracy[last] !== null) {
    text += ", accuracy " + Math.round(100 * training.accuracy[last]) + "%";
  }
  if (training.message) {
    text += " — " + training.message;
  }
  $("training-status").textContent = text;
  drawBoundary(training.boundary);
  drawCurves(training);
  setTrainingButtons(training.status);
  if (scrollToTraining && training.loss.length > 0) {
    scrollToTraining = false; // the teacher pressed Train: show the pictures, once drawn
    $("training-panel").scrollIntoView({ block: "start" });
  }
}

// The decision boundary from numbers: the grid's squares coloured by the
// class the model picks there (a run of squares of one class in a row is one
// rectangle), and the data on top. The SVG scales without blur and keeps its aspect.
let drawnBoundary = null;

function drawBoundary(boundary) {
  $("boundary-figure").hidden = !boundary;
  if (!boundary) {
    $("boundary").replaceChildren();
    drawnBoundary = null;
    return;
  }
  const key = boundary.step + ":" + boundary.picks;
  if (key === drawnBoundary) {
    return; // the same picture: leave it be
  }
  drawnBoundary = key;
  $("boundary-title").textContent = "Decision boundary at step " + boundary.step;
  const size = boundary.size;
  const [xLow, xHigh] = boundary.x;
  const [yLow, yHigh] = boundary.y;
  const cell = 100 / (size - 1);
  const svg = $("boundary");
  const children = [];
  for (let row = 0; row < size; row++) {
    const picks = boundary.picks.slice(row * size, (row + 1) * size);
    let start = 0;
    for (let column = 1; column <= size; column++) {
      if (column === size || picks[column] !== picks[start]) {
        // squares are centred on their grid point; the outer ones are cut at the edge
        const left = Math.max(0, (start - 0.5) * cell);
        const right = Math.min(100, (column - 0.5) * cell);
        const top = Math.max(0, 100 - (row + 0.5) * cell);
        const bottom = Math.min(100, 100 - (row - 0.5) * cell);
        children.push(svgElement("rect", {
          x: left, y: top, width: right - left, height: bottom - top,
          fill: REGION_COLOURS[Number(picks[start]) % REGION_COLOURS.length],
          "shape-rendering": "crispEdges",
        }));
        start = column;
      }
    }
  }
  for (const [x, y, label] of boundary.points) {
    children.push(svgElement("circle", {
      cx: (100 * (x - xLow)) / (xHigh - xLow), cy: 100 - (100 * (y - yLow)) / (yHigh - yLow),
      r: 1.6, fill: CLASS_COLOURS[label % CLASS_COLOURS.length], stroke: "#000",
      "stroke-width": 0.3,
    }));
  }
  svg.replaceChildren(...children);
}

// Loss and accuracy against the step, drawn from the numbers: one SVG each,
// side by side where there is room (one above the other on a phone).
function drawCurves(training) {
  const hasAccuracy = training.accuracy.some((value) => value !== null);
  $("curves-figure").hidden = training.loss.length === 0;
  const charts = [["loss", training.loss, "#dc2626"]];
  if (hasAccuracy) {
    charts.push(["accuracy", training.accuracy, "#15803d"]);
  }
  const svgs = charts.map(([name, values, colour]) => {
    const children = [];
    const left = 50;
    const right = 308;
    const top = 24;
    const bottom = 222;
    const finite = values.filter((value) => value !== null);
    const high = name === "accuracy" ? 1 : Math.max(1e-9, ...finite);
    const low = 0;
    children.push(svgElement("text", { x: left, y: 16, class: "chart-title" }, name));
    children.push(svgElement("line", { x1: left, y1: bottom, x2: right, y2: bottom, class: "axis" }));
    children.push(svgElement("line", { x1: left, y1: top, x2: left, y2: bottom, class: "axis" }));
    children.push(svgElement("text", { x: left - 6, y: top + 5, class: "tick end" },
      name === "accuracy" ? "100%" : formatTick(high)));
    children.push(svgElement("text", { x: left - 6, y: bottom, class: "tick end" }, "0"));
    const steps = training.step;
    children.push(svgElement("text", { x: left, y: bottom + 24, class: "tick" }, "1"));
    children.push(svgElement("text", { x: right, y: bottom + 24, class: "tick end" },
      "step " + steps));
    const count = values.length;
    const points = [];
    values.forEach((value, i) => {
      if (value === null) {
        return;
      }
      const x = left + (count > 1 ? (i / (count - 1)) * (right - left) : 0);
      const y = bottom - ((value - low) / (high - low)) * (bottom - top);
      points.push(x.toFixed(1) + "," + y.toFixed(1));
    });
    children.push(svgElement("polyline", {
      points: points.join(" "), fill: "none", stroke: colour, "stroke-width": 3,
      "stroke-linejoin": "round", "vector-effect": "non-scaling-stroke",
    }));
    const svg = svgElement("svg", { viewBox: "0 0 320 256", role: "img", "aria-label": name });
    svg.replaceChildren(...children);
    return svg;
  });
  $("curves").replaceChildren(...svgs);
}

function formatTick(number) {
  return number >= 100 ? number.toFixed(0) : number.toPrecision(2);
}

function setTrainingButtons(status) {
  if (!isTeacher) {
    return;
  }
  const active = status === "running" || status === "paused";
  $("train").disabled = active;
  $("pause").disabled = status !== "running";
  $("resume").disabled = status !== "paused";
  $("stop").disabled = !active;
}

// ------------------------------------------------------------------ the teacher's buttons

if (isTeacher) {
  for (const action of ["next", "back", "run", "reset", "quiz", "reveal", "pause", "resume", "stop"]) {
    $(action).addEventListener("click", () => control(action));
  }
  $("formula-toggle").addEventListener("click", () => {
    showFormulaForm($("formula-form").hidden);
  });
  $("formula-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await control("formula",
      { expression: $("expression").value, values: $("values").value });
    if (result.ok) {
      showFormulaForm(false); // the graph needs the room now
    }
  });
  $("train-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const steps = parseInt($("train-steps").value, 10);
    control("train", { data: $("train-data").value, steps: steps }).then((result) => {
      scrollToTraining = result.ok;
    });
  });
  // Peek: the answers show only while the button is held down.
  const peekButton = $("peek");
  peekButton.addEventListener("pointerdown", () => peek(true));
  for (const name of ["pointerup", "pointerleave", "pointercancel", "blur"]) {
    peekButton.addEventListener(name, () => peek(false));
  }
  peekButton.addEventListener("keydown", (event) => {
    if ((event.key === " " || event.key === "Enter") && !event.repeat) {
      peek(true);
    }
  });
  peekButton.addEventListener("keyup", () => peek(false));
  // The QR code, large enough to scan from the back of the room; a click closes it.
  $("qr-button").addEventListener("click", () => {
    $("qr-overlay").hidden = false;
  });
  $("qr-overlay").addEventListener("click", () => {
    $("qr-overlay").hidden = true;
  });
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (typing || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === "ArrowRight") {
      event.preventDefault();
      control("next");
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      control("back");
    }
  });
}

// ------------------------------------------------------------------ the students' answers

if (!isTeacher) {
  $("hint-button").addEventListener("click", () => {
    $("hint").hidden = !$("hint").hidden || !$("hint").textContent;
  });
  $("answer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("answer").value.trim();
    const number = Number(text.replace(",", "."));
    if (!text || !Number.isFinite(number)) {
      $("answer-status").textContent = "Write a number, e.g. -0.5";
      return;
    }
    let result;
    try {
      result = await post("/answer", { student: student, answer: text });
    } catch (error) {
      $("answer-status").textContent = "Not sent: the server did not answer. Try again.";
      return;
    }
    if (result.ok) {
      myAnswer = number;
      localStorage.setItem(ANSWER_KEY,
        JSON.stringify({ lesson: lessonId, round: quizRound, answer: number, text: text }));
      $("answer-status").textContent = "Sent: " + text + ". You can change it until the reveal.";
    } else {
      $("answer-status").textContent = result.reply.error || "not sent";
    }
  });
}

connect();
