// The graph view in Jupyter: an anywidget (engine/views/notebook.py) whose
// model holds the drawing as SVG text (`svg`) and the view's code as text:
// graph-view.js (`_view`) and Panzoom (`_panzoom`), the same files the
// classroom serves. Each is loaded as a module from a blob: URL, as anywidget
// loads this file.

function moduleFrom(text) {
  return import(URL.createObjectURL(new Blob([text], { type: "text/javascript" })));
}

async function render({ model, el }) {
  const Panzoom = (await moduleFrom(model.get("_panzoom"))).default;
  const { createGraphView } = await moduleFrom(model.get("_view"));
  const host = document.createElement("div");
  host.className = "stepgrad-drawing";
  el.append(host);
  // In a notebook the wheel scrolls the notebook; Ctrl + wheel or a pinch zooms.
  const view = createGraphView(host, Panzoom, { wheel: "ctrl" });
  const show = () => {
    if (model.get("svg")) {
      view.show(model.get("svg"));
    }
  };
  model.on("change:svg", show);
  show();
  return () => model.off("change:svg", show);
}

export default { render };
