// Every page: open the filter disclosures on wide screens (on phones they stay closed so that results come first).
// Without JavaScript the disclosures still open and close: they are <details> elements.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(min-width: 48rem)").matches) return;
  document.querySelectorAll("details[data-filters-disclosure]").forEach(function (details) { details.open = true; });
})();
