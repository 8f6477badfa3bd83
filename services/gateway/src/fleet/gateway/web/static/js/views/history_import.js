// Importing the account's BingX history (POST/GET /api/bingx/history-import): offered on
// the connection page once a key is verified; progress shown while the executor reads
// the last 90 days window by window.

import { get, post } from "../api.js";
import { h } from "../dom.js";
import { time } from "../format.js";
import { button, facts, notify, region } from "../ui.js";

const POLL_MS = 1500;

function progress(state) {
  if (state.status === "none") return h("p", { class: "muted" }, "Not imported yet.");
  const lines = [
    ["Status", h("span", { "data-testid": "history-import-status" }, state.status)],
    ["Windows read", `${state.windows_done} of ${state.windows}`],
    ["Fills read", String(state.fills_read)],
    ["Trades imported", `${state.trades_imported} (already there: ${state.trades_already_there})`],
    ["Income rows imported", String(state.income_imported)],
  ];
  if (state.rate_limited) lines.push(["BingX rate limits waited out", String(state.rate_limited)]);
  if (state.updated_at) lines.push(["Last step", time(state.updated_at)]);
  return [
    state.status === "running" && h("progress", { max: String(state.windows), value: String(state.windows_done), "aria-label": "Import progress" }),
    facts(lines),
    state.reason && h("p", { class: "hint-box warn" }, state.reason),
  ];
}

/** The import's card body: the button, then its progress until it ends. */
export function historyImport() {
  let timer = null;
  let started = false; // pressed: the first look's answer may be older than the POST's
  const shown = region(progress, { "aria-live": "polite", "data-testid": "history-import" });

  // an import runs on in the executor whatever the page does: a card shown while one runs
  // (the page came back, or the card was drawn again) follows it too
  function show(state, announce) {
    shown.update(state);
    clearTimeout(timer);
    if (state.status === "running") timer = setTimeout(follow, POLL_MS);
    else if (announce && state.status === "done") notify(`BingX history imported: ${state.trades_imported} trades.`);
  }

  async function follow() {
    if (!shown.isConnected) return;
    let state;
    try {
      state = await get("/api/bingx/history-import");
    } catch {
      timer = setTimeout(follow, POLL_MS * 2); // a failed poll: ask again, a little later
      return;
    }
    if (shown.isConnected) show(state, true);
  }

  async function start() {
    started = true;
    show(await post("/api/bingx/history-import"), true);
  }

  const body = h(
    "div",
    { class: "stack" },
    h("p", { class: "muted" }, "Bring your fills and income of the last 90 days (what BingX keeps) into Fleet, so your dashboard starts with your track record. Importing again adds only what is new."),
    h("div", { class: "buttons" }, button("Import my BingX history", start, "primary", { "data-testid": "history-import-start" })),
    shown,
  );
  get("/api/bingx/history-import").then((state) => started || show(state, false)).catch(() => {});
  return body;
}
