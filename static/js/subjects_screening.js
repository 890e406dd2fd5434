// Live eligibility on the screening form: posts the unsaved form to the preview endpoint, which
// runs the one eligibility rule (subjects/eligibility.py), and shows the result. No rule here.
(function () {
  "use strict";
  var form = document.getElementById("screening-form");
  var target = document.getElementById("eligibility-live");
  if (!form || !target) return;
  var url = form.getAttribute("data-preview-url");
  // The page's language: the template gives the translated texts (no English wording lives here).
  // The words come from the template (data-text-*), in the reader's language.
  function text(name) {
    return target.getAttribute("data-text-" + name) || "";
  }
  var timer = null;
  var sequence = 0;

  function render(data) {
    target.textContent = "";
    if (data.eligible === null || data.eligible === undefined) {
      var p = document.createElement("p");
      p.textContent = data.message || text("enter");
      target.appendChild(p);
      return;
    }
    var badge = document.createElement("p");
    badge.className = "badge eligibility-result " + (data.eligible ? "ok" : "bad");
    badge.setAttribute("data-eligible", data.eligible ? "true" : "false");
    badge.textContent = data.eligible ? text("eligible") : text("not-eligible");
    target.appendChild(badge);
    if (!data.eligible) {
      var list = document.createElement("ul");
      list.className = "failed-criteria";
      data.failed.forEach(function (item) {
        var li = document.createElement("li");
        li.setAttribute("data-criterion", item.name);
        li.textContent = item.label;
        list.appendChild(li);
      });
      target.appendChild(list);
    }
  }

  function preview() {
    var mine = ++sequence;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (mine === sequence) render(data);
      })
      .catch(function () {
        if (mine === sequence) render({ eligible: null, message: text("failed") });
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  preview();
})();
