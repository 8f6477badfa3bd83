// Risk decisions page by page, as the trader, an admin and a viewer read them: filtered by
// symbol and type, routine skips (no DI cross, holding) folded into one row, shown one by
// one or hidden; paged by cursor (`before`), so decisions arriving meanwhile never shift a
// page. `path` answers {items, next_before[, total]}: /api/decisions, an admin's
// /api/admin/users/{id}/decisions or a viewer's /api/viewer/traders/{id}/decisions.

import { get } from "../api.js";
import { h } from "../dom.js";
import { button, field, filterForm, region } from "../ui.js";
import { decisionsTable } from "./tables.js";

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

/** The filters and the folded, cursor-paged table; `changed(filters)` follows the filters
 * (e.g. a CSV link). Returns {filters, list, refresh}. */
export function decisionList(path, { pageSize = 25, empty = "No decision matches.", changed = () => {} } = {}) {
  // cursors: where each page we went through began (the first: the newest rows)
  const state = { symbol: "", decision: "", routine: "fold", cursors: [null] };
  const list = region((found) => [decisionsTable(found.items, empty, { fold: state.routine === "fold" }), pages(found)]);

  function pages(found) {
    const first = state.cursors.length === 1;
    const count = found.total ? `${found.total} in all` : "";
    if (first && !found.next_before) return h("p", { class: "pager-count" }, count);
    return h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      button("Newer", () => go(-1), "secondary", { disabled: first }),
      h("span", {}, count ? `page ${state.cursors.length} · ${count}` : `page ${state.cursors.length}`),
      button("Older", () => go(1, found.next_before), "secondary", { disabled: !found.next_before }),
    );
  }

  async function refresh() {
    const before = state.cursors[state.cursors.length - 1];
    const query = { symbol: state.symbol, decision: state.decision, limit: pageSize };
    if (state.routine === "hide") query.routine = "false";
    if (before) query.before = before;
    list.update(await get(path, query));
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
      changed({ symbol: state.symbol });
      list.reset();
      await go(0);
    },
  );
  return { filters, list, refresh };
}
