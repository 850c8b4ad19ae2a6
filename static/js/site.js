// Every page: open the filter disclosures on wide screens (on phones they stay closed so that results come first).
// Without JavaScript the disclosures still open and close: they are <details> elements.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 48rem)").matches) return;
  document.querySelectorAll("details[data-filters-disclosure]").forEach(function (details) { details.open = true; });
})();

// Learner lists (issue 16): the resource page's Save form submits in place and says where it saved, in its live
// status. Without JavaScript the same form posts and the page reloads with a message.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) return;
  document.querySelectorAll("form[data-save-form]").forEach(function (form) {
    var status = form.querySelector("[data-save-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value },
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          if (status) status.textContent = result.data.detail || (result.ok ? "Saved." : "Could not save.");
        })
        .catch(function () {
          if (status) status.textContent = "Could not save (network error); try again.";
        })
        .then(function () { if (button) button.disabled = false; });
    });
  });
})();
