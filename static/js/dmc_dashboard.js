// The DMC dashboard's charts, drawn from the figures the page carries in #dashboard-data (json_script),
// with their words (data.text) translated by the server: no user-visible text lives here.
(function () {
  if (typeof Chart === "undefined") { return; }
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const printing = window.matchMedia && window.matchMedia("print").matches;
  Chart.defaults.animation = false;
  const options = {responsive: true, maintainAspectRatio: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}};
  function bars(id, chart) {
    new Chart(document.getElementById(id), {
      type: "bar",
      data: {labels: chart.labels, datasets: [
        {label: data.text.events, data: chart.events, backgroundColor: "#3b6fb6"},
        {label: data.text.participants, data: chart.participants, backgroundColor: "#e0a43a"}
      ]},
      options: options
    });
  }
  bars("chart-grade", data.grade);
  bars("chart-seriousness", data.seriousness);
  bars("chart-relationship", data.relationship);
  new Chart(document.getElementById("chart-pasi"), {
    type: "line",
    data: {labels: data.pasi.labels, datasets: data.pasi.lines.map(function (line) {
      return {label: line.label, data: line.data, spanGaps: true, tension: 0.1};
    })},
    options: {responsive: true, maintainAspectRatio: false, scales: {y: {beginAtZero: true, title: {display: true, text: data.text.pasi}}}}
  });
  new Chart(document.getElementById("chart-pasi-mean"), {
    type: "bar",
    data: {labels: data.pasi.mean_labels, datasets: [{label: data.text.mean_improvement, data: data.pasi.mean, backgroundColor: "#4a9a6a"}]},
    options: {responsive: true, maintainAspectRatio: false}
  });
  window.addEventListener("beforeprint", function () { for (const id in Chart.instances) { Chart.instances[id].resize(); } });
  document.body.dataset.chartsReady = "true";
})();
