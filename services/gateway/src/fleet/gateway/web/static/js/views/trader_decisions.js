// Every risk decision the engine made for the trader, with its reason and figures
// (GET /api/decisions): "every risk decision is explained to the user". Filtered by symbol
// and type, routine skips (no DI cross, holding) shown folded or hidden; paged by cursor
// (`before`), so decisions arriving while the trader reads never shift a page.

import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { card, heading } from "../ui.js";
import { decisionList } from "./decision_list.js";

export function decisionsView(page) {
  const download = csvLink("/api/decisions.csv");
  const { filters, list, refresh } = decisionList("/api/decisions", { changed: (values) => download.update(values) });
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
