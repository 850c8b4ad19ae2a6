/* Google Analytics' gtag bootstrap (templates/components/analytics.html), a static file rather than the usual inline
   snippet because the Content-Security-Policy allows scripts from this site only. The measurement id comes from
   this script element's data-ga-id. */
(function () {
  var id = document.currentScript && document.currentScript.dataset.gaId;
  if (!id) return;
  window.dataLayer = window.dataLayer || [];
  window.gtag = function () { window.dataLayer.push(arguments); };
  window.gtag("js", new Date());
  window.gtag("config", id);
})();
