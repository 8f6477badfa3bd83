// The admin's system page (GET /api/admin/system): each service's health, the read
// models' lag, the strategy's lease, the executor partitions and their owners, the last
// signal and its age, and the order rate against BingX's per-IP budget.

import { get } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { badge, card, facts, heading, region, table } from "../ui.js";

function servicesTable(services) {
  return table({
    caption: "Services",
    rows: services,
    columns: [
      { label: "Service", cell: (s) => s.service },
      { label: "Health", cell: (s) => badge(s.status) },
      { label: "Version", cell: (s) => s.version || "—" },
      { label: "Detail", cell: (s) => s.detail || "—" },
    ],
  });
}

function lagTable(lag) {
  const rows = Object.entries(lag).map(([name, behind]) => ({ name, behind }));
  return table({
    caption: "Read-model lag",
    rows,
    empty: "Lag unknown (NATS or PostgreSQL unreachable).",
    columns: [
      { label: "Read model", cell: (r) => r.name },
      { label: "Events behind", num: true, cell: (r) => String(r.behind) },
    ],
  });
}

function signalFacts(system) {
  const s = system.last_signal;
  return facts([
    ["Strategy lease holder", system.strategy_lease || "nobody (no active strategy)"],
    ["Last signal", s ? `${s.symbol} ${s.timeframe}` : "none yet"],
    ["At", s ? time(s.occurred_at) : "—"],
    ["Age", s ? `${Math.round(s.age_s)} s` : "—"],
  ]);
}

function partitionsTable(system) {
  return table({
    caption: "Executor partitions",
    rows: system.partitions,
    empty: `No partition owned (executor instances: ${system.executor_members.length}).`,
    columns: [
      { label: "Partition", num: true, cell: (p) => String(p.partition) },
      { label: "Owner", cell: (p) => h("span", { class: "mono" }, p.owner) },
    ],
  });
}

function rateFacts(rate) {
  return facts([
    ["Orders, last 10 s", String(rate.orders_last_10s)],
    ["Orders, last minute", String(rate.orders_last_60s)],
    ["Per-IP budget, 10 s", `${rate.budget_per_10s} (${rate.egress_identities || 1} egress identity/ies)`],
    ["Budget used", `${rate.used_pct} %`],
  ]);
}

function budgetsTable(budgets) {
  return table({
    caption: "Shared per-IP buckets",
    rows: budgets,
    empty: "No shared bucket spent from yet.",
    columns: [
      { label: "Egress identity", cell: (b) => h("span", { class: "mono" }, b.identity) },
      { label: "Bucket", cell: (b) => b.bucket },
      { label: "Tokens left", num: true, cell: (b) => (b.tokens === null ? "—" : b.tokens.toFixed(1)) },
      { label: "Last spent", cell: (b) => time(b.spent_at) },
    ],
  });
}

export function systemView(page) {
  const services = region((s) => servicesTable(s.services));
  const lag = region((s) => lagTable(s.read_model_lag));
  const strategy = region(signalFacts);
  const partitions = region(partitionsTable);
  const rate = region((s) => [rateFacts(s.order_rate), budgetsTable(s.budgets)]);

  async function refresh() {
    const s = await get("/api/admin/system");
    for (const part of [services, lag, strategy, partitions, rate]) part.update(s);
  }

  fill(
    page,
    heading("System"),
    card("Services", services),
    card("Strategy", strategy),
    card("Executor partitions", partitions),
    card("Order rate", rate),
    card("Read models", lag),
  );
  return refresh;
}
