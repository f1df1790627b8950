// stepgrad's graph view for the browser: the Graphviz drawing of a graph as
// inline SVG, that follows the step. One implementation, used by the
// classroom pages (through page.js) and by the Stepper widget in Jupyter
// (through widget.js).
//
// The drawing marks the node of the current step as the SVG group with class
// `current` and the children it adds to with class `updated` (see
// engine/views/drawing.py and stepper.py); while a question about the next
// step is open, that step's node has class `asked` and its inputs
// `asked-input`. After each new drawing the view zooms to those nodes (the
// question's, if any), at a scale where their text is as big as the view's own
// CSS font-size, and moves there in a short animation. Before the first step
// it shows the whole graph if its text is big enough to read, else the output
// (class `output`), where backprop starts. "Whole graph" (or the key W while
// the view or page has focus) shows everything; pinch, wheel and drag zoom and
// pan (Panzoom, vendored in vendor/panzoom).
//
// Panzoom is passed in, not imported, so that this file works both as a
// module served next to the library and as text handed to a notebook widget.
const SVG_NS = "http://www.w3.org/2000/svg";
const MOVE_MS = 350; // how long the move to the next step takes
const MARGIN = 24; // px kept free around the nodes of the step
// The smallest text of a whole graph shown before the first step: 14 px (what
// a phone needs), or 80% of the view's font-size (16 px on a 20 px projector page).
const SMALLEST_PX = 14;
const SMALLEST_SHARE = 0.8;

// The corners of an SVG element's box, in the outer <svg>'s own pixels.
function boxInSvg(element) {
  const box = element.getBBox();
  const matrix = element.getCTM();
  const corners = [
    [box.x, box.y], [box.x + box.width, box.y],
    [box.x, box.y + box.height], [box.x + box.width, box.y + box.height],
  ].map(([x, y]) => new DOMPoint(x, y).matrixTransform(matrix));
  const xs = corners.map((point) => point.x);
  const ys = corners.map((point) => point.y);
  return { left: Math.min(...xs), top: Math.min(...ys), right: Math.max(...xs), bottom: Math.max(...ys) };
}

// `middle` moved into [low, high]; `fallback` if there is no such place (low > high).
function nearest(middle, low, high, fallback) {
  return low > high ? fallback : Math.min(Math.max(middle, low), high);
}

function union(boxes) {
  return {
    left: Math.min(...boxes.map((box) => box.left)),
    top: Math.min(...boxes.map((box) => box.top)),
    right: Math.max(...boxes.map((box) => box.right)),
    bottom: Math.max(...boxes.map((box) => box.bottom)),
  };
}

// An <svg> element from SVG text (Graphviz's output), without anything that could run.
function parseSvg(text) {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.namespaceURI !== SVG_NS || svg.localName !== "svg") {
    throw new Error("not an SVG drawing");
  }
  for (const unsafe of svg.querySelectorAll("script, foreignObject, a")) {
    unsafe.replaceWith(...unsafe.childNodes);
  }
  return document.importNode(svg, true);
}

// `options.wheel`: "zoom" (the wheel zooms), or "ctrl" (only Ctrl + wheel and a
// trackpad's pinch zoom; the plain wheel scrolls the page, as in a notebook).
export function createGraphView(host, Panzoom, options = {}) {
  const wheelZooms = (event) => options.wheel !== "ctrl" || event.ctrlKey || event.metaKey;
  host.classList.add("stepgrad-graph");
  if (!host.hasAttribute("tabindex")) {
    host.tabIndex = 0; // the keys work once the view has focus
  }
  host.setAttribute("role", "group");
  host.setAttribute("aria-label", "the computation graph (W: whole graph / follow the step)");

  const bar = document.createElement("div");
  bar.className = "stepgrad-graph-bar panzoom-exclude"; // a click here is not a drag
  const wholeButton = document.createElement("button");
  wholeButton.type = "button";
  wholeButton.className = "stepgrad-graph-whole";
  const zoomIn = document.createElement("button");
  zoomIn.type = "button";
  zoomIn.textContent = "+";
  zoomIn.title = "zoom in";
  const zoomOut = document.createElement("button");
  zoomOut.type = "button";
  zoomOut.textContent = "\u2212";
  zoomOut.title = "zoom out";
  bar.append(wholeButton, zoomOut, zoomIn);
  const empty = document.createElement("p");
  empty.className = "stepgrad-graph-empty";
  empty.textContent = "No graph yet.";
  host.replaceChildren(bar, empty);

  // Panzoom moves the stage; the drawing inside it is replaced at every step.
  const stage = document.createElement("div");
  stage.className = "stepgrad-graph-stage";
  let svg = null;
  let panzoom = null;
  let whole = false; // showing the whole graph rather than following the step

  function setWhole(value) {
    whole = value;
    host.classList.toggle("is-whole", whole);
    wholeButton.textContent = whole ? "Follow the step" : "Whole graph";
    wholeButton.title = whole ? "zoom to the node of this step (W)" : "show the whole graph (W)";
  }
  setWhole(false);

  // The size of the drawing's text at scale 1, in CSS px.
  function textSize(group) {
    const text = group && group.querySelector("text");
    if (!text) {
      return 14;
    }
    const size = parseFloat(text.getAttribute("font-size")) || 14;
    const matrix = text.getCTM();
    return size * Math.hypot(matrix.a, matrix.b);
  }

  // Panzoom's transform is scale(s) translate(x, y) around the middle of the
  // stage: a point p of the stage is shown at middle + s * (p - middle + (x, y)).
  // This is the (s, x, y) that shows the point (px, py) in the middle of `view`.
  function centred(scale, px, py, view = visible()) {
    const middleX = stage.offsetWidth / 2;
    const middleY = stage.offsetHeight / 2;
    return {
      scale: scale,
      x: (view.left + view.width / 2 - middleX) / scale - px + middleX,
      y: (view.top + view.height / 2 - middleY) / scale - py + middleY,
    };
  }

  // The part of the view inside the window (a tall view may reach below it), in its own px.
  function visible() {
    const box = host.getBoundingClientRect();
    const top = Math.max(box.top, 0);
    const bottom = Math.min(box.bottom, window.innerHeight);
    if (bottom - top < 120) { // scrolled away: the whole view
      return { left: 0, top: 0, width: host.clientWidth, height: host.clientHeight };
    }
    return { left: 0, top: top - box.top, width: host.clientWidth, height: bottom - top };
  }

  // The bottom of the buttons' strip, in the view's px.
  function barBottom() {
    return bar.offsetTop + bar.offsetHeight;
  }

  // The visible part below the buttons' strip, where they cover no node's name.
  function belowButtons() {
    const view = visible();
    const cut = Math.max(0, barBottom() - view.top);
    if (view.height - cut < 120) {
      return view;
    }
    return { left: view.left, top: view.top + cut, width: view.width, height: view.height - cut };
  }

  function wholeGraph() {
    const width = stage.offsetWidth;
    const height = stage.offsetHeight;
    // Below the buttons, so that they cover none of it (a tall drawing's top is its output).
    const below = barBottom();
    const scale = Math.min(1, host.clientWidth / width, (host.clientHeight - below) / height);
    return centred(scale, width / 2, height / 2 - below / 2 / scale);
  }

  // Before the first step: the whole graph, if its text is big enough to read;
  // else the output at the view's font-size, with as much of the graph around
  // it as the view holds (the output at its edge, not the view's middle).
  function theStart() {
    const overview = wholeGraph();
    const output = svg.querySelector("g.output");
    const fontSize = parseFloat(getComputedStyle(host).fontSize);
    const smallest = Math.max(SMALLEST_PX, SMALLEST_SHARE * fontSize);
    if (!output || overview.scale * textSize(output) >= smallest) {
      return overview;
    }
    const scale = fontSize / textSize(output);
    const here = boxInSvg(output);
    const view = belowButtons();
    // The middle of the view, as near the output's as keeps the view on the
    // drawing (the drawing's middle, if it is smaller than the view).
    const margin = MARGIN / scale;
    const halfWidth = view.width / 2 / scale;
    const halfHeight = view.height / 2 / scale;
    const width = stage.offsetWidth;
    const height = stage.offsetHeight;
    const x = (here.left + here.right) / 2;
    const y = (here.top + here.bottom) / 2;
    return centred(
      scale,
      nearest(x, halfWidth - margin, width - halfWidth + margin, width / 2),
      nearest(y, halfHeight - margin, height - halfHeight + margin, height / 2),
      view,
    );
  }

  function theStep() {
    // A question about the next step: its node and inputs, which it names.
    const asked = svg.querySelector("g.asked");
    const current = asked || svg.querySelector("g.current");
    if (!current) {
      return theStart();
    }
    const inputs = svg.querySelectorAll(asked ? "g.asked-input" : "g.updated");
    const goal = stepIn(current, inputs, visible());
    // The buttons sit in the view's top right corner: if they would cover the
    // node of the step, show the step in the part of the view below them.
    return covered(boxInSvg(current), goal) ? stepIn(current, inputs, belowButtons()) : goal;
  }

  // Would the buttons cover `box` (in the drawing's px) with the view at `goal`?
  function covered(box, goal) {
    // Where a point of the drawing is shown (see `centred`), across and down.
    const middleX = stage.offsetWidth / 2;
    const middleY = stage.offsetHeight / 2;
    const across = (p) => middleX + goal.scale * (p - middleX + goal.x);
    const down = (p) => middleY + goal.scale * (p - middleY + goal.y);
    return across(box.left) < bar.offsetLeft + bar.offsetWidth && across(box.right) > bar.offsetLeft
      && down(box.top) < barBottom() && down(box.bottom) > bar.offsetTop;
  }

  // The node `current` and its `inputs` placed in `view` (a part of the view, in its px).
  function stepIn(current, inputs, view) {
    const here = boxInSvg(current);
    const around = union([here, ...Array.from(inputs, boxInSvg)]);
    const readable = parseFloat(getComputedStyle(host).fontSize) / textSize(current);
    const width = around.right - around.left + 2 * MARGIN;
    const height = around.bottom - around.top + 2 * MARGIN;
    const fits = Math.min(view.width / width, view.height / height);
    // At least readable; a little bigger when the whole step fits anyway.
    const scale = Math.max(readable, Math.min(fits, 1.4 * readable));
    // Across: the middle of the step's nodes, or as near it as keeps the
    // current node in view; a node wider than the view (on a phone) shows
    // its start, its name.
    const halfWidth = view.width / 2 / scale;
    const nameFirst = here.left - MARGIN + halfWidth;
    const x = nearest((around.left + around.right) / 2,
      here.right + MARGIN - halfWidth, nameFirst, nameFirst);
    // Down: the step's nodes in the middle if they fit; else from their top
    // (a quiz above the view leaves little of it in the window: the current
    // node, then as much of its children as the rest holds), the node in view.
    const half = view.height / 2 / scale;
    let y = (around.top + around.bottom) / 2;
    if (height * scale > view.height) {
      y = Math.max(around.top - MARGIN + half, here.bottom + MARGIN - half);
    }
    return centred(scale, x, y, view);
  }

  function place(animate) {
    if (!svg || host.clientWidth === 0) {
      return;
    }
    const goal = whole ? wholeGraph() : theStep();
    if (!panzoom) { // the first drawing: start there
      panzoom = Panzoom(stage, { canvas: true, startScale: goal.scale, startX: goal.x,
        startY: goal.y, minScale: 0.05, maxScale: 8, step: 0.3 });
      return;
    }
    const options = { animate: animate, duration: MOVE_MS, force: true };
    panzoom.zoom(goal.scale, options);
    panzoom.pan(goal.x, goal.y, options);
  }

  function show(svgText) {
    const drawing = parseSvg(svgText);
    // Graphviz sizes its drawing in points; the view works in CSS px (1pt = 4/3 px).
    const box = drawing.viewBox.baseVal;
    const width = box.width * 4 / 3;
    const height = box.height * 4 / 3;
    drawing.setAttribute("width", String(width));
    drawing.setAttribute("height", String(height));
    drawing.classList.add("stepgrad-graph-drawing");
    if (!svg) {
      empty.remove();
      host.append(stage);
    }
    // A stage of a new size has a new middle: shift it so the old step stays put on screen.
    let shift = null;
    if (panzoom && (width !== stage.offsetWidth || height !== stage.offsetHeight)) {
      const scale = panzoom.getScale();
      const pan = panzoom.getPan();
      shift = {
        x: pan.x + (1 - scale) * (stage.offsetWidth - width) / 2 / scale,
        y: pan.y + (1 - scale) * (stage.offsetHeight - height) / 2 / scale,
      };
    }
    stage.style.width = width + "px";
    stage.style.height = height + "px";
    stage.replaceChildren(drawing);
    svg = drawing;
    if (shift) {
      panzoom.pan(shift.x, shift.y, { animate: false, force: true });
      requestAnimationFrame(() => requestAnimationFrame(() => place(true)));
    } else {
      place(true);
    }
  }

  wholeButton.addEventListener("click", () => {
    setWhole(!whole);
    place(true);
  });
  zoomIn.addEventListener("click", () => panzoom && panzoom.zoomIn());
  zoomOut.addEventListener("click", () => panzoom && panzoom.zoomOut());
  host.addEventListener("wheel", (event) => {
    if (panzoom && wheelZooms(event)) {
      panzoom.zoomWithWheel(event);
    }
  }, { passive: false });
  function onKey(event) {
    const target = event.target;
    const typing = target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName);
    if (typing || event.altKey || event.ctrlKey || event.metaKey || event.key.toLowerCase() !== "w") {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // in Jupyter, W is not a notebook command here
    setWhole(!whole);
    place(true);
  }
  host.addEventListener("keydown", onKey);
  // A new size (a phone turned, a window resized): the same place, at the new size.
  new ResizeObserver(() => place(false)).observe(host);
  // Something opening above the view (a quiz's hint) moves it down the page and
  // leaves less of it in the window: the step is placed again. (Scrolling
  // moves nothing on the page: a view you panned stays as it is.)
  let topOnPage = null;
  new ResizeObserver(() => {
    const top = host.getBoundingClientRect().top + window.scrollY;
    if (topOnPage !== null && Math.abs(top - topOnPage) > 1) {
      place(true);
    }
    topOnPage = top;
  }).observe(document.body);

  return {
    show: show,
    setWhole: (value) => { setWhole(value); place(true); },
    onKey: onKey, // for a page that wants W to work anywhere on it
  };
}
