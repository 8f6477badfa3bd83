// Tables of trading data, shared by the trader's own pages and the read-only dashboards.

import { h } from "../dom.js";
import { age, decimal, fixed, money, percent, pnl, price, signedMoney, signedPercent, time, words } from "../format.js";
import { badge, button, pairs, table } from "../ui.js";

/** The money at risk to the stops of all `positions` (null when none has a stop). */
export function openRisk(positions) {
  const risks = positions.map((p) => p.risk_to_stop).filter((r) => r !== null && r !== undefined);
  if (!risks.length) return null;
  // cents as integers: the API gives each risk to 2 places
  const cents = risks.reduce((sum, r) => sum + BigInt(fixed(r, 2).replaceAll(",", "").replace(".", "")), 0n);
  const text = cents.toString().padStart(3, "0");
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

function pnlCell(p) {
  if (p.unrealised_pnl === null || p.unrealised_pnl === undefined) return "—";
  return [pnl(p.unrealised_pnl), h("br"), signedPercent(p.unrealised_pnl_pct)];
}

/** Open positions valued at the market; `close(position)` given: each row has its Close
 * button. No liquidation price: the platform has no maintenance-margin data to compute it. */
export function positionsTable(positions, { close = null } = {}) {
  const actions = close
    ? [{ label: "Action", cell: (p) => button("Close", () => close(p), "secondary", { "aria-label": `Close ${p.symbol}` }) }]
    : [];
  const risk = openRisk(positions);
  return [
    table({
      caption: "Open positions",
      rows: positions,
      empty: "No open position.",
      columns: [
        { label: "Symbol", cell: (p) => [p.symbol, p.manual ? [" ", h("span", { class: "tag" }, "manual")] : null] },
        { label: "Side", cell: (p) => badge(p.direction) },
        { label: "Quantity", num: true, cell: (p) => decimal(p.quantity) },
        { label: "Entry", num: true, cell: (p) => price(p.entry_price, p.price_decimals) },
        { label: "Mark", num: true, cell: (p) => price(p.mark_price, p.price_decimals) },
        { label: "Unrealised PnL", num: true, cell: pnlCell },
        { label: "Size / margin", num: true, cell: (p) => [money(p.notional), h("br"), h("span", { class: "muted" }, money(p.margin))] },
        { label: "Leverage", num: true, cell: (p) => `${p.leverage}×` },
        { label: "Stop", num: true, cell: (p) => price(p.stop_price, p.price_decimals) },
        { label: "Liquidation", num: true, cell: (p) => price(p.liquidation_price, p.price_decimals) },
        { label: "At risk to stop", num: true, cell: (p) => money(p.risk_to_stop) },
        { label: "Opened", cell: (p) => time(p.opened_at) },
        ...actions,
      ],
    }),
    positions.length && risk !== null
      ? h("p", { class: "open-risk", "data-testid": "open-risk" }, "Open risk (lost if every stop fills): ", h("strong", { class: "num nowrap" }, money(risk)))
      : null,
  ];
}

export function tradesTable(trades, empty = "No closed trade yet.") {
  return table({
    caption: "Closed trades",
    rows: trades,
    empty,
    columns: [
      { label: "Closed", cell: (t) => time(t.closed_at) },
      { label: "Symbol", cell: (t) => t.symbol },
      { label: "Side", cell: (t) => badge(t.direction) },
      { label: "Quantity", num: true, cell: (t) => decimal(t.quantity) },
      { label: "Entry", num: true, cell: (t) => decimal(t.entry_price) },
      { label: "Exit", num: true, cell: (t) => decimal(t.exit_price) },
      { label: "PnL", num: true, cell: (t) => pnl(t.realised_pnl) },
      { label: "Fees", num: true, cell: (t) => money(t.fees) },
      { label: "Why closed", cell: (t) => t.close_reason || "—" },
    ],
  });
}

/** The account's income rows: funding, fees, realised PnL, transfers (signed amounts). */
export function incomeTable(rows) {
  return table({
    caption: "Income",
    rows,
    empty: "No income recorded yet: funding, fees and transfers appear here as BingX reports them.",
    columns: [
      { label: "When", cell: (r) => time(r.at) },
      { label: "Type", cell: (r) => words(r.income_type.toLowerCase()) },
      { label: "Symbol", cell: (r) => r.symbol || "—" },
      { label: "Amount", num: true, cell: (r) => (r.asset === "USDT" ? pnl(r.amount) : signedMoney(r.amount, r.asset)) },
      { label: "Source", cell: (r) => (r.imported_from ? `imported (${r.imported_from})` : "live") },
    ],
  });
}

export function sessionsTable(sessions) {
  return table({
    caption: "Trading sessions",
    rows: sessions,
    empty: "No trading session yet: a session begins when the bot starts.",
    columns: [
      { label: "Started", cell: (s) => time(s.started_at) },
      { label: "Ended", cell: (s) => time(s.ended_at) },
      { label: "Status", cell: (s) => badge(s.status) },
      { label: "Initial", num: true, cell: (s) => money(s.initial_balance) },
      { label: "Current", num: true, cell: (s) => money(s.current_balance) },
      { label: "Trades", num: true, cell: (s) => `${s.trades} (${s.wins} won, ${s.losses} lost)` },
      { label: "PnL", num: true, cell: (s) => pnl(s.total_pnl) },
      { label: "Stop reason", cell: (s) => s.stop_reason || "—" },
    ],
  });
}

// skips that happen on every candle (no cross, a position already held): folded
export const ROUTINE_SKIPS = new Set(["no_cross", "holding"]);

export function isRoutine(decision) {
  return decision.decision === "skip" && ROUTINE_SKIPS.has(decision.code);
}

/** Runs of routine skips become one {folded: [...]} row; the others stay as they are. */
export function foldRoutine(decisions) {
  const rows = [];
  for (const d of decisions) {
    const last = rows[rows.length - 1];
    if (!isRoutine(d)) rows.push(d);
    else if (last?.folded) last.folded.push(d);
    else rows.push({ folded: [d] });
  }
  return rows;
}

const DECISION_COLUMNS = [
  { label: "When", cell: (d) => [age(d.decided_at), h("br"), h("span", { class: "muted small" }, time(d.decided_at))] },
  { label: "Symbol", cell: (d) => d.symbol },
  { label: "Decision", cell: (d) => badge(d.decision) },
  { label: "Reason", cell: (d) => h("span", { class: "reason" }, d.reason) },
  { label: "Rule", cell: (d) => h("code", {}, d.code) },
  { label: "Figures", cell: (d) => pairs(d.numbers, decimal) },
];

function foldedRow(run) {
  const count = run.length;
  const symbols = [...new Set(run.map((d) => d.symbol))].join(", ");
  return h(
    "tr",
    { class: "folded", "data-testid": "routine-skips" },
    h(
      "td",
      { colspan: String(DECISION_COLUMNS.length), class: "muted" },
      `${count} routine skip${count === 1 ? "" : "s"} (no DI cross or already holding; ${symbols}), latest `,
      age(run[0].decided_at),
    ),
  );
}

/** Every risk decision with its reason: the product promises each one is explained.
 * `fold`: runs of routine skips show as one row. */
export function decisionsTable(decisions, empty = "No decision yet: the risk engine decides on every signal while your bot runs.", { fold = false } = {}) {
  const rows = fold ? foldRoutine(decisions) : decisions;
  if (!rows.length) return h("p", { class: "empty" }, empty);
  const head = h("tr", {}, DECISION_COLUMNS.map((c) => h("th", { scope: "col" }, c.label)));
  const body = rows.map((row) =>
    row.folded
      ? foldedRow(row.folded)
      : h("tr", { class: `decision-${row.decision}` }, DECISION_COLUMNS.map((c) => h("td", { "data-label": c.label }, c.cell(row)))),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, h("caption", { class: "sr-only" }, "Risk decisions"), h("thead", {}, head), h("tbody", {}, body)),
  );
}

/** Where "today" begins in the figures: the zone the page asked for, else UTC. */
function todayIn(stats) {
  return ` (${stats.zone || "UTC"})`;
}

/** Returns, drawdown, profit factor, averages, fees and funding (absent in old answers). */
function moreStatsFacts(stats) {
  if (stats.max_drawdown_pct === undefined) return [];
  return [
    [`Return today${todayIn(stats)}`, signedPercent(stats.return_today_pct)],
    ["Return all time", signedPercent(stats.return_all_time_pct)],
    ["Max drawdown", signedPercent(stats.max_drawdown_pct)],
    ["Profit factor", stats.profit_factor === null ? (stats.wins ? "∞ (no loss)" : "—") : decimal(stats.profit_factor)],
    ["Average win / loss", `${money(stats.average_win)} / ${money(stats.average_loss)}`],
    [`Trades today${todayIn(stats)}`, String(stats.trades_today)],
    ["Fees paid", money(stats.fees_paid)],
    ["Funding", pnl(stats.funding)],
  ];
}

export function statsFacts(stats) {
  return [
    ["Closed trades", String(stats.trades)],
    ["Won / lost", `${stats.wins} / ${stats.losses}`],
    ["Win rate", percent(stats.win_rate)],
    [`PnL today${todayIn(stats)}`, pnl(stats.pnl_today)],
    ["PnL all time", pnl(stats.pnl_all_time)],
    ["Open positions", String(stats.open_positions)],
    ...moreStatsFacts(stats),
  ];
}
