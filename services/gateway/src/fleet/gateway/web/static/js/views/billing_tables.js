// Fee statements and invoices as tables (the trader's own page and the admin's).

import { h } from "../dom.js";
import { money, time } from "../format.js";
import { badge, table } from "../ui.js";

/** A fee rate (a fraction, "0.2") as a percentage: "20 %". */
export const ratePercent = (fraction) => `${(Number(fraction) * 100).toFixed(2).replace(/\.?0+$/, "")} %`;

/** Statements: one row per period; `extra` columns go first (the admin's trader). */
export function statementsTable(rows, { caption = "Fee statements", empty = "No period closed yet.", extra = [] } = {}) {
  return table({
    caption,
    rows,
    empty,
    columns: [
      ...extra,
      { label: "Period", cell: (s) => [s.period, h("br"), h("span", { class: "muted" }, time(s.starts_at))] },
      { label: "Start equity", num: true, cell: (s) => money(s.start_equity) },
      { label: "End equity", num: true, cell: (s) => money(s.end_equity) },
      { label: "Deposits / withdrawals", num: true, cell: (s) => [money(s.deposits), h("br"), money(s.withdrawals)] },
      { label: "High-water mark before / after", num: true, cell: (s) => [money(s.mark_before), h("br"), money(s.mark_after)] },
      { label: "Fee", num: true, cell: (s) => [money(s.fee), h("br"), h("span", { class: "muted" }, ratePercent(s.rate))] },
      { label: "Plan", cell: (s) => (s.plan ? [s.plan, h("br"), money(s.plan_price)] : "—") },
      { label: "Invoice", num: true, cell: (s) => money(s.total) },
      { label: "Status", cell: (s) => badge(s.status) },
      { label: "Explanation", cell: (s) => h("span", { class: "sentence" }, s.sentence) },
    ],
  });
}
