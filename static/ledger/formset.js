// Adds issue rows to the meeting page's formset: clones the <template> with the next index and
// bumps TOTAL_FORMS. Without JavaScript the page still offers three empty rows.
// The issue page's quick entry of items works the same way with its own ids.
[["issue-rows", "add-issue", "issue-row-template"], ["item-rows", "add-item-row", "item-row-template"]].forEach(function (ids) {
  "use strict";
  var rows = document.getElementById(ids[0]);
  var button = document.getElementById(ids[1]);
  var template = document.getElementById(ids[2]);
  if (!rows || !button || !template) return;
  var prefix = rows.dataset.prefix;
  var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
  button.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = rows.lastElementChild.querySelector("select, textarea, input:not([type=hidden])");
    if (added) added.focus();
  });
});
