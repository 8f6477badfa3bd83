// Every risk decision the engine made for the trader, with its reason and figures
// (GET /api/decisions): "every risk decision is explained to the user". Filtered by symbol
// and type, routine skips (no DI cross, holding) shown folded or hidden; paged by cursor
// (`before`), so decisions arriving while the trader reads never shift a page.

import { get } from "../api.js";
import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { button, card, field, filterForm, heading, region } from "../ui.js";
import { decisionsTable } from "./tables.js";

const PAGE = 25;
const TYPES = [
  { value: "", label: "Every type" },
  { value: "entry", label: "Entries" },
  { value: "exit", label: "Exits" },
  { value: "skip", label: "Skips" },
];
const ROUTINE = [
  { value: "fold", label: "Folded into one row" },
  { value: "show", label: "Shown one by one" },
  { value: "hide", label: "Hidden" },
];

export function decisionsView(page) {
  // cursors: where each page we went through began (the first: the newest rows)
  const state = { symbol: "", decision: "", routine: "fold", cursors: [null] };
  const list = region((found) => [decisionsTable(found.items, "No decision matches.", { fold: state.routine === "fold" }), pages(found)]);
  const download = csvLink("/api/decisions.csv");

  function pages(found) {
    const first = state.cursors.length === 1;
    const count = found.total ? `${found.total} in all` : "";
    if (first && !found.next_before) return h("p", { class: "pager-count" }, count);
    return h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      button("Newer", () => go(-1), "secondary", { disabled: first }),
      h("span", {}, `page ${state.cursors.length} · ${count}`),
      button("Older", () => go(1, found.next_before), "secondary", { disabled: !found.next_before }),
    );
  }

  async function refresh() {
    const before = state.cursors[state.cursors.length - 1];
    const query = { symbol: state.symbol, decision: state.decision, limit: PAGE };
    if (state.routine === "hide") query.routine = "false";
    if (before) query.before = before;
    list.update(await get("/api/decisions", query));
  }
  async function go(step, cursor) {
    if (step < 0) state.cursors.pop();
    else if (step > 0) state.cursors.push(cursor);
    else state.cursors = [null];
    await refresh();
  }

  const filters = filterForm(
    "Filter decisions",
    [
      field({ name: "symbol", label: "Symbol", placeholder: "BTC-USDT", autocapitalize: "characters", spellcheck: "false" }),
      field({ name: "decision", label: "Type", options: TYPES }),
      field({ name: "routine", label: "Routine skips", options: ROUTINE }),
    ],
    async (values) => {
      state.symbol = values.symbol.toUpperCase();
      state.decision = values.decision;
      state.routine = values.routine;
      download.update({ symbol: state.symbol });
      list.reset();
      await go(0);
    },
  );

  fill(
    page,
    heading("Risk decisions"),
    card(
      "Why each signal was taken or skipped",
      h(
        "p",
        { class: "muted" },
        "For every signal of the shared strategy, the risk engine applies your own limits and says what it did and why: " +
          "entry (with the size it chose), exit, or skip (with the limit that stopped it). " +
          "Routine skips (no DI cross on the candle, or a position already held) come every candle and are folded.",
      ),
      filters,
      list,
      download,
    ),
  );
  return refresh;
}
