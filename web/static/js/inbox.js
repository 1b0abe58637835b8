// Inbox: bulk claim through the API, with one result line per task.
(function () {
  const form = document.getElementById("bulk-form");
  const claim = document.getElementById("bulk-claim");
  const out = document.getElementById("bulk-results");
  if (!form || !claim) return;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  claim.addEventListener("click", async () => {
    const ids = [...form.querySelectorAll("input[name=ids]:checked")].map((c) => Number(c.value));
    if (!ids.length) { out.textContent = "Seleccione al menos una tarea."; return; }
    claim.disabled = true;
    const r = await fetch("/api/tasks/bulk/claim", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ task_ids: ids }),
    });
    const body = await r.json().catch(() => ({}));
    claim.disabled = false;
    out.replaceChildren();
    if (!r.ok) { out.textContent = body.message || "No se pudo tomar las tareas."; return; }
    const list = document.createElement("ul");
    list.className = "bulk-results";
    for (const res of body.results) {
      const li = document.createElement("li");
      li.className = res.ok ? "ok" : "refused";
      li.textContent = `Tarea N° ${res.task_id}: ${res.ok ? "tomada" : "rechazada — " + res.message}`;
      list.appendChild(li);
    }
    out.appendChild(list);
    const again = document.createElement("a");
    again.href = window.location.pathname + "?tab=mine";
    again.textContent = "Ver «Mis tareas»";
    out.appendChild(again);
  });
})();
