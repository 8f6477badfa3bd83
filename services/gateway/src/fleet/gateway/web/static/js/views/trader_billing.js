// The trader's performance-fee statements (GET /api/billing/statements): each closed
// period with its high-water mark, fee and invoice, and the running period's estimate.

import { get } from "../api.js";
import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { money } from "../format.js";
import { card, facts, heading, region } from "../ui.js";
import { statementsTable } from "./billing_tables.js";

function estimateCard(estimate) {
  if (!estimate) return card("This period so far", h("p", { class: "empty" }, "No performance fee applies yet."));
  return card(
    "This period so far (an estimate)",
    facts([
      ["Period", estimate.period],
      ["Equity", `${money(estimate.start_equity)} → ${money(estimate.end_equity)}`],
      ["Deposits / withdrawals", `${money(estimate.deposits)} / ${money(estimate.withdrawals)}`],
      ["High-water mark", money(estimate.mark_before)],
      ["Fee if the period ended now", money(estimate.fee)],
    ]),
    h("p", { class: "muted" }, estimate.sentence),
  );
}

export function billingView(page) {
  const body = region((found) => [
    estimateCard(found.estimate),
    card("Closed periods", statementsTable(found.statements), csvLink("/api/billing/statements.csv")),
  ]);
  fill(
    page,
    heading("Fees & statements"),
    h(
      "p",
      { class: "muted" },
      "The performance fee is charged only on gains above your high-water mark; deposits raise the mark and withdrawals lower it, so they are never charged.",
    ),
    body,
  );
  return async () => body.update(await get("/api/billing/statements"));
}
