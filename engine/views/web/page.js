// The graph view on a web page (the classroom's): every element marked
// `data-stepgrad-graph` becomes a graph view that shows the SVG drawing at the
// address in its `data-src`, fetched again whenever the page changes data-src.
// The page needs nothing else from this file: it sets attributes.
//
// A screen held upright (a phone) is narrow: a graph that runs left to right
// cannot show a node and the children it updates at a readable size there.
// If the element also has `data-src-tall`, the address of the same drawing
// laid out top to bottom, a portrait screen gets that one, and turning the
// screen (or resizing the window) switches between the two.
import Panzoom from "./vendor/panzoom/panzoom.es.js";
import { createGraphView } from "./graph-view.js";

const portrait = window.matchMedia("(orientation: portrait)");

for (const host of document.querySelectorAll("[data-stepgrad-graph]")) {
  const view = createGraphView(host, Panzoom);
  let asked = null;
  // The address to show now: the tall layout's on a portrait screen, if there is one.
  function wanted() {
    const tall = portrait.matches && host.dataset.srcTall;
    return { url: tall ? host.dataset.srcTall : host.dataset.src, layout: tall ? "tall" : "wide" };
  }
  async function load() {
    const step = host.dataset.src; // the drawing of this step, in either layout
    const { url, layout } = wanted();
    if (!url || url === asked) {
      return;
    }
    asked = url;
    const reply = await fetch(url);
    const text = reply.ok ? await reply.text() : null;
    if (text !== null && wanted().url === url) { // not overtaken by a newer step or a turn
      view.show(text);
      host.dataset.layout = layout;
      host.dataset.shown = step; // the step it shows now (tests wait for this)
    }
  }
  new MutationObserver(load).observe(host, {
    attributes: true, attributeFilter: ["data-src", "data-src-tall"],
  });
  portrait.addEventListener("change", load);
  load();
  // W anywhere on the page (not while typing): whole graph / follow the step.
  // (Inside the view its own listener takes the key first.)
  document.addEventListener("keydown", view.onKey);
}
