// The graph view on a web page (the classroom's): every element marked
// `data-stepgrad-graph` becomes a graph view that shows the SVG drawing at the
// address in its `data-src`, fetched again whenever the page changes data-src.
// The page needs nothing else from this file: it sets an attribute.
import Panzoom from "./vendor/panzoom/panzoom.es.js";
import { createGraphView } from "./graph-view.js";

for (const host of document.querySelectorAll("[data-stepgrad-graph]")) {
  const view = createGraphView(host, Panzoom);
  let asked = null;
  async function load() {
    const url = host.dataset.src;
    if (!url || url === asked) {
      return;
    }
    asked = url;
    const reply = await fetch(url);
    const text = reply.ok ? await reply.text() : null;
    if (text !== null && host.dataset.src === url) { // not overtaken by a newer step
      view.show(text);
      host.dataset.shown = url; // what it shows now (tests wait for this)
    }
  }
  new MutationObserver(load).observe(host, { attributes: true, attributeFilter: ["data-src"] });
  load();
  // W anywhere on the page (not while typing): whole graph / follow the step.
  // (Inside the view its own listener takes the key first.)
  document.addEventListener("keydown", view.onKey);
}
