// Live PASI preview: posts the form to the server, which computes with assessments/pasi.py.
// No scoring rule lives here; this only shows what the server returns.
(function () {
  "use strict";
  var form = document.getElementById("pasi-form");
  if (!form) return;
  var url = form.getAttribute("data-preview-url");
  var pending = null;
  var sequence = 0;

  function show(selector, value) {
    var cell = form.querySelector(selector);
    if (cell) cell.textContent = value === null || value === undefined ? "—" : value;
  }

  function refresh() {
    var mine = ++sequence;
    fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin",
                 headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || mine !== sequence) return;
        form.querySelectorAll("[data-subtotal]").forEach(function (cell) {
          var region = data.regions[cell.getAttribute("data-subtotal")];
          cell.textContent = region ? region.subtotal : "—";
        });
        form.querySelectorAll("[data-area-score]").forEach(function (cell) {
          var region = data.regions[cell.getAttribute("data-area-score")];
          cell.textContent = region ? String(region.area_score) : "—";
        });
        show("#pasi-total", data.pasi_total);
      })
      .catch(function () { /* the saved value is computed on submit anyway */ });
  }

  form.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  });
  refresh();
})();
