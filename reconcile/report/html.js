"use strict";
(() => {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const key = (row, col) => {
    const cell = row.cells[col];
    return cell.dataset.key ?? cell.textContent.trim();
  };

  // Clicking a header sorts by that column, again reverses it. The sort is
  // stable, so rows that tie keep the plan's order.
  for (const table of document.querySelectorAll("table.sortable")) {
    const body = table.tBodies[0];
    for (const th of table.tHead.rows[0].cells) {
      th.tabIndex = 0;
      const sort = () => {
        const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        for (const other of th.parentElement.cells) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        const rows = Array.from(body.rows);
        rows.sort((a, b) => dir * collator.compare(key(a, th.cellIndex), key(b, th.cellIndex)));
        body.append(...rows);
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          sort();
        }
      });
    }
  }

  // The text box and the action buttons filter the operations together.
  const ops = document.getElementById("ops");
  if (ops) {
    const input = document.getElementById("filter");
    const shown = document.getElementById("shown");
    const buttons = document.querySelectorAll("button[data-filter]");
    let only = "";
    const apply = () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let n = 0;
      for (const row of ops.tBodies[0].rows) {
        const text = row.textContent.toLowerCase();
        const match = (only === "" || (only === "held" ? row.dataset.status === "held"
          : row.dataset.status === "planned" && row.dataset.action === only)) &&
          words.every((w) => text.includes(w));
        row.classList.toggle("hidden", !match);
        if (match) n++;
      }
      shown.value = n + " of " + ops.tBodies[0].rows.length + " shown";
    };
    input.addEventListener("input", apply);
    for (const button of buttons) {
      button.addEventListener("click", () => {
        only = button.dataset.filter;
        for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
        apply();
      });
    }
    apply();
  }

  // Tells a reader (and the browser test) the script ran to its end.
  document.documentElement.dataset.js = "ready";
})();
