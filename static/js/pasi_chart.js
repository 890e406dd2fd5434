// PASI over time on the participant page; data and words come from the page (json_script), computed and
// translated server-side.
(function () {
  "use strict";
  var source = document.getElementById("pasi-chart-data");
  var canvas = document.getElementById("pasi-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var text = JSON.parse(document.getElementById("pasi-chart-text").textContent);
  var datasets = [{ label: text.pasi, data: data.pasi.map(Number), borderColor: "#1f5fae", tension: 0 }];
  if (data.baseline !== null) {
    datasets.push({ label: text.baseline, data: data.labels.map(function () { return Number(data.baseline); }),
                    borderColor: "#9a6400", borderDash: [6, 4], pointRadius: 0 });
  }
  new Chart(canvas, {
    type: "line",
    data: { labels: data.labels, datasets: datasets },
    options: { animation: false, scales: { y: { min: 0, title: { display: true, text: text.pasi } } } }
  });
})();
