// The instance's diagram (bpmn-js viewer) with the path taken: elements and flows passed
// (green, with how many times), where it waits (orange).
(function () {
  const box = document.getElementById("history-diagram");
  if (!box || !window.BpmnJS) return;
  const path = JSON.parse(box.dataset.path);
  const viewer = new window.BpmnJS({ container: box });
  window.juntosViewer = viewer;
  fetch(box.dataset.xmlUrl, { credentials: "same-origin" })
    .then((r) => r.text())
    .then((xml) => viewer.importXML(xml))
    .then(() => {
      const canvas = viewer.get("canvas");
      const overlays = viewer.get("overlays");
      const registry = viewer.get("elementRegistry");
      const mark = (id, count, waiting) => {
        if (!registry.get(id)) return;
        canvas.addMarker(id, waiting ? "juntos-waiting" : "juntos-path");
        const badge = document.createElement("span");
        badge.className = "path-count";
        badge.dataset.element = id;
        badge.textContent = String(count);
        overlays.add(id, { position: { top: -10, right: 10 }, html: badge });
      };
      for (const [id, count] of Object.entries(path.elements)) mark(id, count, path.waiting.includes(id));
      for (const [id, count] of Object.entries(path.flows)) mark(id, count, false);
      canvas.zoom("fit-viewport");
      box.dataset.loaded = "true";
    })
    .catch((err) => { box.textContent = "No se pudo dibujar el diagrama: " + err.message; });
})();
