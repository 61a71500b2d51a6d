// Adds issue rows to the meeting page's formset: clones the <template> with the next index and
// bumps TOTAL_FORMS. Without JavaScript the page still offers three empty rows.
(function () {
  "use strict";
  var rows = document.getElementById("issue-rows");
  var button = document.getElementById("add-issue");
  var template = document.getElementById("issue-row-template");
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
})();
