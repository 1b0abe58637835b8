// Dashboard charts; the same figures are in the tables below each chart.
(function () {
  const data = JSON.parse(document.getElementById("board-data").textContent);
  const make = (id, type, labels, datasets) => new window.Chart(document.getElementById(id), {
    type, data: { labels, datasets }, options: { responsive: true, animation: false },
  });
  const openLabels = data.open.labels.map((p, i) => `${p} · ${data.open.units[i]}`);
  make("chart-open", "bar", openLabels, [
    { label: "Abiertas", data: data.open.open, backgroundColor: "#1d6fd8" },
    { label: "Vencidas", data: data.open.overdue, backgroundColor: "#b5121b" },
  ]);
  make("chart-weeks", "line", data.weeks.labels, [
    { label: "Completadas", data: data.weeks.completed, borderColor: "#1d6fd8" },
  ]);
  make("chart-dur", "bar", data.durations.labels, [
    { label: "Horas promedio", data: data.durations.hours, backgroundColor: "#5f6b7a" },
  ]);
})();
