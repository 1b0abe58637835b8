// SISFOH import page: the progress bar follows the job by polling its JSON; when the job
// ends, the result section (rendered by the server) replaces the empty one — no reload.
(function () {
  const card = document.querySelector("[data-job-status]");
  if (!card || card.dataset.final === "si") return;
  const bar = card.querySelector("progress");
  const state = card.querySelector(".job-state");
  const percent = card.querySelector(".job-percent");
  async function showResult() {
    const r = await fetch(window.location.href, { credentials: "same-origin" });
    if (!r.ok) return;
    const page = new DOMParser().parseFromString(await r.text(), "text/html");
    const fresh = page.getElementById("resultado");
    if (fresh) document.getElementById("resultado").replaceWith(fresh);
  }
  async function tick() {
    let body;
    try {
      const r = await fetch(card.dataset.jobStatus, { credentials: "same-origin" });
      if (!r.ok) { setTimeout(tick, 3000); return; }
      body = await r.json();
    } catch (e) { setTimeout(tick, 3000); return; }
    const [done, total] = body.avance;
    bar.max = total || 1; bar.value = done;
    percent.textContent = `${total ? Math.round((100 * done) / total) : 0} %`;
    state.textContent = body.estado_texto;
    if (["aplicado", "rechazado", "fallido"].includes(body.estado)) {
      card.dataset.final = "si";
      await showResult();
    } else {
      setTimeout(tick, 1000);
    }
  }
  tick();
})();
