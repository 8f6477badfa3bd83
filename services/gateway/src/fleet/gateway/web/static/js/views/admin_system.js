// The admin's system page (GET /api/admin/system): each service's health, the read
// models' lag, the strategy's lease, the executor partitions and their owners, the last
// signal and its age, and the order rate against BingX's per-IP budget.

import { get, put } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { actionForm, badge, card, facts, field, formError, heading, notify, region, table } from "../ui.js";

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

const SETTINGS = [
  ["allowed_symbols", "Symbols traders may choose", "e.g. BTC-USDT, ETH-USDT"],
  ["timeframes", "Timeframes traders may choose", "e.g. 5m, 1h"],
  ["egress_addresses", "Fleet's egress addresses (IP whitelist)", "e.g. 203.0.113.7"],
];

function listed(text) {
  return text.split(",").map((v) => v.trim()).filter(Boolean);
}

// Platform settings (GET/PUT /api/admin/settings): an empty field keeps the environment
// default; only changed fields are sent; "Use the default" resets one.
function settingsForm(current, refresh) {
  const inputs = SETTINGS.map(([name, label, hint]) => {
    const value = current[name] ? current[name].join(", ") : "";
    const fallback = name === "allowed_symbols" && current.default_symbols.length ? current.default_symbols.join(", ") : "the environment default";
    return field({ name, label, value, hint: `${hint}. Empty: ${fallback}.` });
  });
  const save = async (form) => {
    const body = { reset: [] };
    for (const [name] of SETTINGS) {
      const values = listed(form.elements[name].value);
      const before = current[name] || [];
      if (!values.length && current[name]) body.reset.push(name);
      else if (values.length && values.join(",") !== before.join(",")) body[name] = values;
    }
    if (!body.reset.length) delete body.reset;
    if (Object.keys(body).length === 0) return notify("Nothing changed.");
    await put("/api/admin/settings", body);
    notify("Settings saved: in effect now.");
    await refresh(true);
  };
  return actionForm({ "aria-label": "Platform settings" }, [inputs, h("div", { class: "buttons" }, h("button", { type: "submit", class: "btn btn-primary" }, "Save settings")), formError()], save);
}

export function systemView(page) {
  const services = region((s) => servicesTable(s.services));
  const lag = region((s) => lagTable(s.read_model_lag));
  const strategy = region(signalFacts);
  const partitions = region(partitionsTable);
  const rate = region((s) => [rateFacts(s.order_rate), budgetsTable(s.budgets)]);

  const settings = region((current) => settingsForm(current, refresh));

  async function refresh(redraw = false) {
    const [s, current] = await Promise.all([get("/api/admin/system"), get("/api/admin/settings")]);
    for (const part of [services, lag, strategy, partitions, rate]) part.update(s);
    if (redraw) settings.reset();
    settings.update(current); // redrawn only when the saved settings changed
  }

  fill(
    page,
    heading("System"),
    card("Services", services),
    card("Strategy", strategy),
    card("Executor partitions", partitions),
    card("Order rate", rate),
    card("Read models", lag),
    card("Platform settings", settings),
  );
  return refresh;
}
