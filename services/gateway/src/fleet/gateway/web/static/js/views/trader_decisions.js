// Every risk decision the engine made for the trader, with its reason and figures
// (GET /api/decisions): "every risk decision is explained to the user".

import { get } from "../api.js";
import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { card, field, filterForm, heading, pager, region } from "../ui.js";
import { decisionsTable } from "./tables.js";

const PAGE = 25;

export function decisionsView(page) {
  const state = { offset: 0, symbol: "" };
  const list = region((found) => [decisionsTable(found.items), pager(found, go)]);
  const download = csvLink("/api/decisions.csv");

  async function refresh() {
    list.update(await get("/api/decisions", { symbol: state.symbol, limit: PAGE, offset: state.offset }));
  }
  async function go(offset) {
    state.offset = offset;
    await refresh();
  }

  const filters = filterForm(
    "Filter decisions",
    [field({ name: "symbol", label: "Symbol", placeholder: "BTC-USDT", autocapitalize: "characters", spellcheck: "false" })],
    async (values) => {
      state.symbol = values.symbol.toUpperCase();
      download.update({ symbol: state.symbol });
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
          "entry (with the size it chose), exit, or skip (with the limit that stopped it).",
      ),
      filters,
      list,
      download,
    ),
  );
  return refresh;
}
