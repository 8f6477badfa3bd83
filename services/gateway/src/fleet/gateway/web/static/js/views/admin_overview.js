// The admin's overview (GET /api/admin/overview): totals, one line per trader, and the
// two emergency buttons: kill switch (pause every bot) and flatten all.

import { get, post, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { money, pnl } from "../format.js";
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

export function accountsTable(accounts, simulated = false) {
  return table({
    caption: "Traders' accounts",
    rows: accounts,
    empty: "No trader yet.",
    columns: [
      { label: "Trader", cell: (a) => h("a", { href: `#/admin/users/${seg(a.user_id)}` }, a.username) },
      { label: "Bot", cell: (a) => badge(a.bot_status) },
      { label: "BingX", cell: (a) => environmentBadge(a.environment, simulated) || "—" },
      { label: "Balance", num: true, cell: (a) => money(a.balance) },
      { label: "Equity", num: true, cell: (a) => money(a.equity) },
      { label: "PnL today", num: true, cell: (a) => pnl(a.pnl_today) },
      { label: "Open positions", num: true, cell: (a) => String(a.open_positions) },
    ],
  });
}

function emergency(refresh) {
  const reason = h("input", { type: "text", id: "emergency-reason", maxlength: "256", placeholder: "e.g. exchange incident" });
  const body = () => (reason.value.trim() ? { reason: reason.value.trim() } : undefined);
  const kill = async () => {
    if (!(await confirmAction("Pause every running bot now? Open positions stay; each trader can resume later.", "Pause every bot"))) return;
    const answer = await post("/api/admin/kill-switch", body());
    notify(`Kill switch: ${answer.paused} bot(s) paused.`);
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
    h("div", { class: "buttons" }, button("Kill switch: pause every bot", kill, "danger"), button("Flatten all positions", flatten, "danger")),
  );
}

export function overviewView(page) {
  const figures = region(totals);
  const accounts = region((o) => accountsTable(o.accounts, o.simulated));

  async function refresh() {
    const o = await get("/api/admin/overview");
    figures.update(o);
    accounts.update(o);
  }

  fill(page, heading("Overview"), figures, emergency(refresh), card("Traders", accounts));
  return refresh;
}
