// The live list of /admin/activity (loaded by that page only; the CSP allows no inline script).
// Rows arrive on an EventSource from /admin/activity/stream: each event's data is one table row,
// rendered and escaped by the server (the same markup as the stored history), as a JSON string.
// This script never builds markup from data; it only places the server's rows.
(() => {
  const live = document.getElementById("activity-live");
  const rows = document.getElementById("activity-live-rows");
  const empty = document.getElementById("activity-live-empty");
  const status = document.getElementById("activity-live-status");
  const pause = document.getElementById("activity-pause");

  // A click anywhere on a row (live or stored) opens or closes its details.
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const row = target?.closest("tr.activity-row");
    if (!row || target.closest("summary, a, button, dl")) return;
    const details = row.querySelector("details");
    if (details) details.open = !details.open;
  });

  if (!live || !rows || !empty || !status || !pause || typeof EventSource === "undefined") return;
  const maxRows = Number(live.dataset.maxRows) || 200;
  const template = document.createElement("template");
  /** Rows that arrived while paused, oldest first (at most maxRows). */
  let held = [];
  let paused = false;
  let connected = false;

  const show = (html) => {
    template.innerHTML = html;
    const row = template.content.querySelector("tr");
    if (!row) return;
    rows.prepend(row);
    while (rows.children.length > maxRows) rows.lastElementChild.remove();
    empty.hidden = true;
  };

  const describe = () => {
    if (paused) {
      status.textContent = `paused: ${held.length} new ${held.length === 1 ? "request" : "requests"} waiting`;
    } else {
      status.textContent = connected ? "following new requests" : "reconnecting…";
    }
  };

  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) {
      for (const html of held) show(html);
      held = [];
    }
    describe();
  });

  live.hidden = false;
  const source = new EventSource(live.dataset.stream);
  source.addEventListener("open", () => {
    connected = true;
    describe();
  });
  source.addEventListener("activity", (event) => {
    const html = JSON.parse(event.data);
    if (typeof html !== "string") return;
    if (!paused) {
      show(html);
      return;
    }
    held.push(html);
    if (held.length > maxRows) held.shift();
    describe();
  });
  source.addEventListener("error", () => {
    connected = false;
    // CLOSED: the browser gave up (the session ended or the answer was not a stream).
    if (source.readyState === EventSource.CLOSED) {
      status.textContent = "disconnected: reload the page to follow again";
      return;
    }
    describe();
  });
})();
