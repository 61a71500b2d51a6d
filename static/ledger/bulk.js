// Bulk changes on the ledger list: "select all" ticks the page's items, an item ticked in the
// table is ticked in its phone card too (both belong to the bulk form), and the panel shows how
// many items are selected. Without JavaScript each item is still ticked by hand.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  var count = document.getElementById("bulk-count");
  if (!form || !count) return;
  var jump = document.getElementById("bulk-jump");
  var panel = form.closest("details");
  function isInView(element) {
    var box = element.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }
  if (jump) {
    // The button opens the panel and goes to it; it hides while the form is in view.
    jump.addEventListener("click", function (event) {
      event.preventDefault();
      panel.open = true;
      panel.scrollIntoView({ block: "start" });
      var first = form.querySelector("select, input:not([type=hidden])");
      if (first) first.focus({ preventScroll: true });
      refresh();
    });
    window.addEventListener("scroll", function () { refresh(); }, { passive: true });
    panel.addEventListener("toggle", function () { refresh(); });
  }
  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input.bulk-select[name=items]"));
  }
  function refresh() {
    var chosen = {};
    boxes().forEach(function (box) {
      if (box.checked) chosen[box.value] = true;
    });
    var n = Object.keys(chosen).length;
    count.textContent = String(n);
    count.hidden = n === 0;
    if (jump) {
      jump.querySelector("[data-bulk-count]").textContent = String(n);
      jump.hidden = n === 0 || (panel.open && isInView(form));
    }
    document.querySelectorAll("[data-select-all]").forEach(function (all) {
      var every = boxes();
      all.checked = every.length > 0 && every.every(function (box) { return box.checked; });
    });
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      boxes().forEach(function (box) { box.checked = target.checked; });
    } else if (target.matches("input.bulk-select[name=items]")) {
      boxes().forEach(function (box) {
        if (box.value === target.value) box.checked = target.checked;
      });
    } else {
      return;
    }
    refresh();
  });
  refresh();
  // The co-owners' search refills their select with the people matching the name typed: the
  // people chosen before stay in it, chosen, so that several searches add several people.
  var coOwners = document.getElementById("bulk-co_owners");
  if (coOwners) {
    var kept = [];
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.target !== coOwners) return;
      kept = Array.prototype.filter.call(coOwners.options, function (option) { return option.selected; });
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== coOwners) return;
      Array.prototype.slice.call(coOwners.options).forEach(function (option) {
        var chosen = kept.some(function (old) { return old.value === option.value; });
        if ((option.value === "" && !option.disabled) || chosen) option.remove();
      });
      kept.slice().reverse().forEach(function (option) {
        option.selected = true;
        coOwners.insertBefore(option, coOwners.firstChild);
      });
    });
  }
  // After bad input the page opens with a summary of what went wrong: start reading there.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
