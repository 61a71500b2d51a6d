// A link to an action form (the work queue's rows: "#action-close", "#extension-3") opens that
// folded form and shows it once the page is laid out: the browser's own jump to the fragment
// happens early, before the rest of the page has pushed the form further down.
(function () {
  function showTarget() {
    if (!location.hash) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    if (target.tagName === "DETAILS") target.open = true;
    target.scrollIntoView({ block: "start" });
  }
  window.addEventListener("hashchange", showTarget);
  if (document.readyState === "complete") showTarget();
  else window.addEventListener("load", showTarget);
})();
