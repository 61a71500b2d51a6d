// The error summary at the top of a page whose form came back with errors: move the focus to it
// (a phone then shows it, and a screen reader reads it), and let each of its links focus the
// field it names, opening the folded section the field is in. Loaded right after the summary.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) {
      return;
    }
    event.preventDefault();
    for (var node = target.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") {
        node.open = true;
      }
    }
    // "instant": Bootstrap makes scrolling smooth, and the field must be on screen at once.
    target.scrollIntoView({ block: "center", behavior: "instant" });
    if (typeof target.focus === "function") {
      target.focus({ preventScroll: true });
    }
  });
})();
