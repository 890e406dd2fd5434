// Live dose check on the infusion form: posts the typed cells to the server, which compares them with
// the planned dose by the rules in dosing/dose.py. No dose rule lives here; this only shows the answer.
(function () {
  "use strict";
  var form = document.getElementById("infusion-form");
  var out = document.getElementById("dose-check");
  var input = document.getElementById("id_administered_cells");
  if (!form || !out || !input) return;
  var url = form.getAttribute("data-dose-check-url");
  var pending = null;
  var sequence = 0;

  function refresh() {
    var mine = ++sequence;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    body.append("administered_cells", input.value);
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || mine !== sequence) return;
        out.textContent = data.message;
        out.className = data.state === "deviation" || data.state === "invalid" ? "alert" : "hint";
        out.setAttribute("data-state", data.state);
      })
      .catch(function () { /* the save checks the dose anyway */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(refresh, 200);
  });
  if (input.value) refresh();
})();
