// The live list of an admin page that follows a feed (/admin/activity, /admin/logs), loaded by those
// pages only (the CSP allows no inline script). The list is the element with `data-live-rows`: its
// id prefixes the ids of its parts (`{id}-rows`, `{id}-empty`, `{id}-status`), `data-pause` is the
// pause button's id, `data-stream` the EventSource URL, `data-event` the event name, `data-noun` /
// `data-nouns` what a row is called.
// Each event's data is one table row, rendered and escaped by the server (the same markup as the
// page's stored rows), as a JSON string: this script never builds markup from data.
(() => {
  const live = document.querySelector("[data-live-rows]");
  if (!live || typeof EventSource === "undefined") return;
  const part = (name) => document.getElementById(`${live.id}-${name}`);
  const rows = part("rows");
  const empty = part("empty");
  const status = part("status");
  const pause = document.getElementById(live.dataset.pause || "");
  if (!rows || !empty || !status || !pause) return;
  const maxRows = Number(live.dataset.maxRows) || 200;
  const noun = live.dataset.noun || "row";
  const nouns = live.dataset.nouns || "rows";
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
      status.textContent = `paused: ${held.length} new ${held.length === 1 ? noun : nouns} waiting`;
    } else {
      status.textContent = connected ? `following new ${nouns}` : "reconnecting…";
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
  source.addEventListener(live.dataset.event || "message", (event) => {
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
