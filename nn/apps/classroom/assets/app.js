// The stepgrad classroom page: shows the lesson the server pushes (Server-Sent
// Events), sends the teacher's clicks and the students' answers. Everything
// shown is set with textContent or as an <img>: no text from the server is
// ever parsed as HTML. (The graph view, engine/views/web, parses the server's
// Graphviz drawing as SVG, without scripts.)
"use strict";

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ who am I

// The teacher's link carries ?token=...; keep the token for this tab and take
// it out of the address bar, so a projector does not show it to the class.
function teacherToken() {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) {
    sessionStorage.setItem("stepgrad-token", fromUrl);
    history.replaceState(null, "", "/?teacher");
    return fromUrl;
  }
  if (params.has("teacher")) {
    return sessionStorage.getItem("stepgrad-token");
  }
  return null;
}

const token = teacherToken();
const isTeacher = token !== null;

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
$("role").textContent = isTeacher ? "Teacher" : "Student";
$("student-name").textContent = student ? "You are " + studentName + " (a random name)" : "";
for (const element of document.querySelectorAll(".teacher-only")) {
  element.hidden = !isTeacher;
}
for (const element of document.querySelectorAll(".student-only")) {
  element.hidden = isTeacher;
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
  const result = await post("/control", body, { "X-Stepgrad-Token": token });
  $("notice").textContent = result.ok ? "" : result.reply.error || "refused";
  if (result.ok) {
    render(result.reply);
  }
  return result;
}

function connect() {
  const url = isTeacher ? "/events?token=" + encodeURIComponent(token) : "/events";
  const events = new EventSource(url);
  events.addEventListener("state", (event) => {
    $("connection").textContent = "live";
    $("connection").className = "connection live";
    render(JSON.parse(event.data));
  });
  events.onerror = () => {
    $("connection").textContent = "reconnecting…";
    $("connection").className = "connection";
    if (isTeacher) {
      // A wrong or old token (the server restarted): say so instead of retrying forever.
      fetch("/state?token=" + encodeURIComponent(token)).then((response) => {
        if (response.status === 403) {
          events.close();
          $("connection").textContent = "this teacher link is out of date: use the new one";
        }
      }, () => {});
    }
  };
}

// ------------------------------------------------------------------ showing the state

let shownBoundary = null;
let shownCurves = null;
let quizRound = null;
let myAnswer = null;

function showImage(element, url, shown) {
  if (url && url !== shown) {
    element.src = url;
  }
  element.hidden = !url;
  return url;
}

function render(state) {
  $("title").textContent = state.source || (state.graph ? "Graph" : "Waiting for the teacher…");
  $("progress").textContent = state.graph ? "step " + state.position + " of " + state.total : "";
  // The graph view (engine/views/web/page.js) fetches and shows the drawing at this address.
  $("graph-box").dataset.src = state.graph || "";
  $("current-step").textContent = state.current_step ? state.current_step.text : "No step taken yet.";
  renderSteps(state.steps);
  renderQuiz(state.quiz);
  renderTraining(state.training);
  if (isTeacher) {
    const quizOpen = state.quiz && !state.quiz.revealed;
    $("reveal").disabled = !quizOpen;
    $("quiz").disabled = !state.graph || quizOpen || state.position >= state.total;
    $("next").disabled = !state.graph || (state.position >= state.total && !quizOpen);
    $("back").disabled = !state.graph || (state.position === 0 && !quizOpen);
    if (!$("expression").value && state.source) {
      $("expression").value = state.source;
      $("values").value = state.values;
    }
  }
}

function renderSteps(steps) {
  const list = $("steps");
  list.replaceChildren();
  steps.forEach((text, index) => {
    const item = document.createElement("li");
    item.textContent = text;
    if (index === steps.length - 1) {
      item.className = "current";
    }
    list.appendChild(item);
  });
  list.scrollTop = list.scrollHeight; // the newest step in view (the page itself stays put)
}

function renderQuiz(quiz) {
  $("quiz-panel").hidden = !quiz;
  if (!quiz) {
    return;
  }
  if (quiz.round !== quizRound) {
    quizRound = quiz.round;
    myAnswer = null;
    $("answer").value = "";
    $("answer-status").textContent = "";
    $("hint").hidden = true;
  }
  $("quiz-step").textContent = String(quiz.step);
  $("quiz-question").textContent = quiz.question;
  $("hint").textContent = "Hint: " + quiz.hint;
  $("answer").disabled = quiz.revealed;
  $("send-answer").disabled = quiz.revealed;
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
    $("quiz-counts").textContent =
      quiz.answered + " answered, " + quiz.right + " right (answer: " + quiz.expected_text + ")";
    const spread = $("spread");
    spread.replaceChildren();
    const most = Math.max(1, ...quiz.spread.map((bar) => bar.count));
    for (const bar of quiz.spread) {
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
}

function renderTraining(training) {
  if (!training) {
    $("training-status").textContent = "No training yet.";
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
  shownBoundary = showImage($("boundary"), training.boundary, shownBoundary);
  shownCurves = showImage($("curves"), training.curves, shownCurves);
  setTrainingButtons(training.status);
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
  $("formula-form").addEventListener("submit", (event) => {
    event.preventDefault();
    control("formula", { expression: $("expression").value, values: $("values").value });
  });
  $("train-form").addEventListener("submit", (event) => {
    event.preventDefault();
    control("train", { data: $("train-data").value, steps: parseInt($("train-steps").value, 10) });
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
    $("hint").hidden = !$("hint").hidden;
  });
  $("answer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("answer").value.trim();
    const number = Number(text.replace(",", "."));
    if (!text || !Number.isFinite(number)) {
      $("answer-status").textContent = "Write a number, e.g. -0.5";
      return;
    }
    const result = await post("/answer", { student: student, answer: text });
    if (result.ok) {
      myAnswer = number;
      $("answer-status").textContent = "Sent: " + text + ". You can change it until the reveal.";
    } else {
      $("answer-status").textContent = result.reply.error || "not sent";
    }
  });
}

connect();
