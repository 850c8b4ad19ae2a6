// Search page: autocomplete for the query box and filters that apply when ticked. No framework; the page works
// without it (the filters then apply with the "Apply filters" button).
(function () {
  "use strict";
  var form = document.querySelector("[data-search-form]");
  if (!form) return;

  form.querySelectorAll("[data-autosubmit]").forEach(function (box) {
    box.addEventListener("change", function () { form.submit(); });
  });

  var input = form.querySelector("input[data-suggest-url]");
  var list = document.getElementById("search-suggestions");
  if (!input || !list || !window.fetch) return;
  var timer = null, active = -1, items = [], controller = null;

  function close() {
    list.hidden = true; list.innerHTML = ""; items = []; active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    items.forEach(function (item, i) { item.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (items[index]) input.setAttribute("aria-activedescendant", items[index].id);
  }

  function choose(item) {
    if (item.dataset.url) { window.location.href = item.dataset.url; return; }
    input.value = item.dataset.value; close(); form.submit();
  }

  function render(data) {
    list.innerHTML = ""; items = [];
    var entries = (data.completions || []).map(function (text) { return { text: text, value: text }; })
      .concat((data.results || []).map(function (hit) { return { text: hit.title, url: hit.url, type: hit.type }; }));
    entries.forEach(function (entry, i) {
      var li = document.createElement("li");
      li.id = "search-suggestion-" + i;
      li.setAttribute("role", "option");
      li.textContent = entry.text + (entry.type ? " — " + entry.type.replace(/_/g, " ") : "");
      if (entry.url) li.dataset.url = entry.url; else li.dataset.value = entry.value;
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(li); });
      list.appendChild(li); items.push(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
    active = -1;
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      if (controller) controller.abort();
      controller = window.AbortController ? new AbortController() : null;
      fetch(input.dataset.suggestUrl + "?q=" + encodeURIComponent(q), controller ? { signal: controller.signal } : {})
        .then(function (response) { return response.ok ? response.json() : { completions: [], results: [] }; })
        .then(render)
        .catch(function () {});
    }, 150);
  });

  input.addEventListener("keydown", function (event) {
    if (list.hidden) return;
    if (event.key === "ArrowDown") { event.preventDefault(); highlight((active + 1) % items.length); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight((active - 1 + items.length) % items.length); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(items[active]); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
