// Instance page: progress bars of running service calls, refreshed without reloading.
(function () {
  const list = document.querySelector("[data-progress-url]");
  if (!list) return;
  const url = list.dataset.progressUrl;
  async function tick() {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) return;
    const body = await r.json();
    let running = false;
    for (const c of body.calls) {
      const li = list.querySelector(`[data-call="${c.id}"]`);
      if (!li) continue;
      const [done, total] = c.progress;
      const bar = li.querySelector("progress");
      bar.max = total || 1; bar.value = done;
      li.querySelector(".call-state").textContent = c.state;
      li.querySelector(".call-count").textContent = `${done}/${total}`;
      running = running || c.state === "pending" || c.state === "running";
    }
    if (running) setTimeout(tick, 2000);
  }
  tick();
})();
