// Tables of trading data, shared by the trader's own pages and the read-only dashboards.

import { h } from "../dom.js";
import { decimal, money, percent, pnl, sign, time } from "../format.js";
import { badge, button, pairs, table } from "../ui.js";

/** Open positions; `close(position)` given: each row has its Close button. */
export function positionsTable(positions, { close = null } = {}) {
  const actions = close
    ? [{ label: "Action", cell: (p) => button("Close", () => close(p), "secondary", { "aria-label": `Close ${p.symbol}` }) }]
    : [];
  return table({
    caption: "Open positions",
    rows: positions,
    empty: "No open position.",
    columns: [
      { label: "Symbol", cell: (p) => p.symbol },
      { label: "Side", cell: (p) => badge(p.direction) },
      { label: "Quantity", num: true, cell: (p) => decimal(p.quantity) },
      { label: "Entry", num: true, cell: (p) => decimal(p.entry_price) },
      { label: "Stop", num: true, cell: (p) => decimal(p.stop_price) },
      { label: "Leverage", num: true, cell: (p) => `${p.leverage}×` },
      { label: "Opened", cell: (p) => time(p.opened_at) },
      { label: "", cell: (p) => (p.manual ? h("span", { class: "tag" }, "manual") : "") },
      ...actions,
    ],
  });
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
      { label: "Fees", num: true, cell: (t) => decimal(t.fees) },
      { label: "Why closed", cell: (t) => t.close_reason || "—" },
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

/** Every risk decision with its reason: the product promises each one is explained. */
export function decisionsTable(decisions, empty = "No decision yet: the risk engine decides on every signal while your bot runs.") {
  return table({
    caption: "Risk decisions",
    rows: decisions,
    empty,
    columns: [
      { label: "When", cell: (d) => time(d.decided_at) },
      { label: "Symbol", cell: (d) => d.symbol },
      { label: "Decision", cell: (d) => badge(d.decision) },
      { label: "Reason", cell: (d) => h("span", { class: "reason" }, d.reason) },
      { label: "Rule", cell: (d) => h("code", {}, d.code) },
      { label: "Figures", cell: (d) => pairs(d.numbers, decimal) },
    ],
  });
}

function signedPercent(value) {
  return h("span", { class: ["num", sign(value)] }, percent(value));
}

/** Returns, drawdown, profit factor, averages, fees and funding (absent in old answers). */
function moreStatsFacts(stats) {
  if (stats.max_drawdown_pct === undefined) return [];
  return [
    ["Return today (UTC)", signedPercent(stats.return_today_pct)],
    ["Return all time", signedPercent(stats.return_all_time_pct)],
    ["Max drawdown", signedPercent(stats.max_drawdown_pct)],
    ["Profit factor", stats.profit_factor === null ? (stats.wins ? "∞ (no loss)" : "—") : decimal(stats.profit_factor)],
    ["Average win / loss", `${money(stats.average_win)} / ${money(stats.average_loss)}`],
    ["Trades today (UTC)", String(stats.trades_today)],
    ["Fees paid", money(stats.fees_paid)],
    ["Funding", pnl(stats.funding)],
  ];
}

export function statsFacts(stats) {
  return [
    ["Closed trades", String(stats.trades)],
    ["Won / lost", `${stats.wins} / ${stats.losses}`],
    ["Win rate", percent(stats.win_rate)],
    ["PnL today (UTC)", pnl(stats.pnl_today)],
    ["PnL all time", pnl(stats.pnl_all_time)],
    ["Open positions", String(stats.open_positions)],
    ...moreStatsFacts(stats),
  ];
}
