// The /admin/activity page's own behaviour (its live list is static/live-rows.js): a click anywhere
// on a row (live or stored) opens or closes its details. Loaded by that page only.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  const row = target?.closest("tr.activity-row");
  if (!row || target.closest("summary, a, button, dl")) return;
  const details = row.querySelector("details");
  if (details) details.open = !details.open;
});
