/* Sortable tables: click (or Enter on) a column heading to sort by it; again to reverse.
 * Numbers sort by their data-v value; empty values go last. No inline script (CSP). */
(function () {
  "use strict";
  function key(td, num) {
    if (!td) return num ? null : "";
    if (!num) return td.textContent.trim();
    var v = td.getAttribute("data-v");
    return v === null || v === "" ? null : Number(v);
  }
  function sort(table, i, th) {
    var num = th.dataset.sort === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[i], num), y = key(b.cells[i], num);
      if (x === null && y === null) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : x > y ? 1 : 0) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      if (!th.dataset.sort) return;
      th.tabIndex = 0;
      th.classList.add("sort");
      th.addEventListener("click", function () { sort(table, i, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(table, i, th); }
      });
    });
  });
})();
