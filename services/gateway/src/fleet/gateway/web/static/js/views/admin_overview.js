// The admin's overview (GET /api/admin/overview): totals, one line per trader, and the
// two emergency buttons: kill switch (pause every bot) and flatten all.

import { get, post, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { money, percent, pnl, sign, time } from "../format.js";
import { badge, button, card, confirmAction, environmentBadge, heading, notify, region, table } from "../ui.js";

function figure(label, value) {
  return h("div", { class: "figure" }, h("span", { class: "figure-label" }, label), h("span", { class: "figure-value num" }, value));
}

function totals(o) {
  return h(
    "div",
    { class: "figures" },
    figure("Users", String(o.users)),
    figure("Traders", String(o.traders)),
    figure("Bots running", String(o.active_bots)),
    figure("Bots paused", String(o.paused_bots)),
    figure("Total balance", money(o.total_balance)),
    figure("Total equity", money(o.total_equity)),
    figure("PnL today (UTC)", pnl(o.pnl_today)),
  );
}

function connection(a) {
  const status = a.credential_status === "not_connected" ? "not connected" : a.credential_status;
  const title = a.last_failure_reason ? `last failure: ${a.last_failure_reason}` : undefined;
  return h("span", { title }, badge(status), " ", a.last_failure_at ? time(a.last_failure_at) : "");
}

function botCell(a) {
  const status = badge(a.bot_status);
  if (a.bot_status !== "paused" || !a.pause_reason) return status;
  return h("span", {}, status, " ", h("small", {}, `${a.paused_automatically ? "auto: " : ""}${a.pause_reason}`));
}

function pnlPct(a) {
  if (a.pnl_today_pct === null || a.pnl_today_pct === undefined) return "—";
  return h("span", { class: ["num", sign(a.pnl_today_pct), a.over_daily_limit && "over-limit"] }, percent(a.pnl_today_pct), a.over_daily_limit ? " (limit)" : "");
}

function picker(a, selection) {
  const box = h("input", { type: "checkbox", "aria-label": `Select ${a.username}`, checked: selection.has(a.user_id) });
  box.addEventListener("change", () => (box.checked ? selection.add(a.user_id) : selection.delete(a.user_id)));
  return box;
}

export function accountsTable(accounts, simulated = false, selection = null) {
  const columns = [
    { label: "Trader", cell: (a) => h("a", { href: `#/admin/users/${seg(a.user_id)}` }, a.username) },
    { label: "Bot", cell: botCell },
    { label: "Environment", cell: (a) => environmentBadge(a.environment, simulated) || "—" },
    { label: "BingX", cell: connection },
    { label: "Last verified", cell: (a) => time(a.last_verified_at) },
    { label: "Balance", num: true, cell: (a) => money(a.balance) },
    { label: "Equity", num: true, cell: (a) => money(a.equity) },
    { label: "Trades today", num: true, cell: (a) => String(a.trades_today) },
    { label: "PnL today", num: true, cell: (a) => pnl(a.pnl_today) },
    { label: "PnL today %", num: true, cell: pnlPct },
    { label: "Open positions", num: true, cell: (a) => String(a.open_positions) },
  ];
  if (selection) columns.unshift({ label: "Select", cell: (a) => picker(a, selection) });
  return table({ caption: "Traders' accounts", rows: accounts, empty: "No trader matches.", columns });
}

const FILTERS = [
  { value: "", label: "Every trader" },
  { value: "failing", label: "Failing BingX connections" },
  { value: "paused", label: "Paused bots" },
  { value: "over_daily_limit", label: "Over the daily loss limit" },
];

function filterPicker(onChange) {
  const select = h("select", { id: "overview-only" }, FILTERS.map((f) => h("option", { value: f.value }, f.label)));
  select.addEventListener("change", () => onChange(select.value));
  return h("div", { class: "field inline" }, h("label", { for: "overview-only" }, "Show"), select);
}

function bulkActions(selection, refresh) {
  const reason = h("input", { type: "text", id: "bulk-reason", maxlength: "256", placeholder: "optional" });
  const act = (verb, label) => async () => {
    const user_ids = [...selection];
    if (!user_ids.length) return notify("Select at least one trader first.", "error");
    if (!(await confirmAction(`${label} the bots of ${user_ids.length} trader(s)?`, label))) return;
    const body = { user_ids, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) };
    const answer = await post(`/api/admin/bots/${verb}`, body);
    const failures = answer.outcomes.filter((o) => !o.ok).map((o) => `${o.user_id}: ${o.message || o.error}`);
    notify(`${label}: ${answer.done} done, ${answer.failed} refused${failures.length ? ` (${failures.join("; ")})` : ""}.`, answer.failed ? "error" : "ok");
    selection.clear();
    await refresh(true);
  };
  return h(
    "div",
    { class: "bulk" },
    h("div", { class: "field inline" }, h("label", { for: "bulk-reason" }, "Note for the selected bots"), reason),
    h("div", { class: "buttons" }, button("Start selected", act("start", "Start")), button("Pause selected", act("pause", "Pause")), button("Stop selected", act("stop", "Stop"), "danger")),
  );
}

function emergency(refresh) {
  const reason = h("input", { type: "text", id: "emergency-reason", maxlength: "256", placeholder: "e.g. exchange incident" });
  const body = () => (reason.value.trim() ? { reason: reason.value.trim() } : undefined);
  const kill = async () => {
    if (!(await confirmAction("Halt trading now? No bot opens a new position; open positions keep their stop-losses and can still be closed.", "Halt trading"))) return;
    const answer = await post("/api/admin/kill-switch", body());
    notify(answer.halted ? `Kill switch: trading halted for ${answer.paused} running bot(s).` : "Kill switch: trading was halted already.");
    await refresh();
  };
  const flatten = async () => {
    if (!(await confirmAction("Close every open position of every trader at market now?", "Close every position"))) return;
    const answer = await post("/api/admin/flatten-all", body());
    notify(`Flatten all: positions of ${answer.users} trader(s) are being closed.`);
    await refresh();
  };
  return card(
    "Emergency",
    h("div", { class: "field inline" }, h("label", { for: "emergency-reason" }, "Reason"), reason),
    h("div", { class: "buttons" }, button("Kill switch: halt trading", kill, "danger"), button("Flatten all positions", flatten, "danger")),
  );
}

/** While trading is halted (trading.halted) or bots an admin paused remain: a banner
 * and the one action that undoes both (POST /api/admin/resume-all). */
function killSwitchBanner(o, refresh) {
  if (!o.halted && !o.paused_by_admin) return null;
  const paused = o.paused_by_admin ? `${o.paused_by_admin} bot(s) paused by an admin.` : "";
  const halted = o.halted ? `Trading halted${o.halt_reason ? `: ${o.halt_reason}` : ""}. ` : "";
  const resume = async () => {
    if (!(await confirmAction(`Resume trading${o.paused_by_admin ? ` and the ${o.paused_by_admin} bot(s) an admin paused` : ""}? Bots their trader or a risk limit paused stay paused.`, "Resume all"))) return;
    const answer = await post("/api/admin/resume-all");
    const lifted = answer.trading_resumed ? "trading resumed, " : "";
    notify(`Resume all: ${lifted}${answer.done} bot(s) resumed${answer.failed ? `, ${answer.failed} refused` : ""}.`, answer.failed ? "error" : "ok");
    await refresh(true);
  };
  return h(
    "div",
    { class: "banner banner-danger", role: "status", "data-testid": "kill-switch-banner" },
    h("strong", {}, "Kill switch engaged: "),
    `${halted}${paused}`,
    button("Resume all", resume, "primary"),
  );
}

export function overviewView(page) {
  const banner = region((o) => killSwitchBanner(o, refresh));
  const figures = region(totals);
  const selection = new Set();
  const accounts = region((o) => accountsTable(o.accounts, o.simulated, selection));
  let only = "";

  async function refresh(redraw = false) {
    const o = await get("/api/admin/overview", only ? { only } : undefined);
    const shown = new Set(o.accounts.map((a) => a.user_id));
    const hidden = [...selection].filter((id) => !shown.has(id));
    hidden.forEach((id) => selection.delete(id)); // never act on a trader not shown
    if (redraw || hidden.length) accounts.reset(); // the check boxes follow the selection
    banner.update({ paused_by_admin: o.paused_by_admin, halted: o.halted, halt_reason: o.halt_reason });
    figures.update(o);
    accounts.update(o);
  }
  const choose = async (value) => {
    only = value;
    await refresh();
  };

  fill(page, heading("Overview"), banner, figures, emergency(refresh), card("Traders", filterPicker(choose), bulkActions(selection, refresh), accounts));
  return refresh;
}
