// Bulk changes on the ledger list: "select all" ticks the page's items, an item ticked in the
// table is ticked in its phone card too (both belong to the bulk form), and the panel shows how
// many items are selected. Without JavaScript each item is still ticked by hand.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  var count = document.getElementById("bulk-count");
  if (!form || !count) return;
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
})();
