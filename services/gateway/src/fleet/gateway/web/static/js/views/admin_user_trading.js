// The parts of an admin's user page that depend on the role: the traders a viewer may
// read (grants), and a trader's dashboard with his bot's controls and flatten.

import { del, get, post, put, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { actionForm, button, card, confirmAction, field, formError, notify, table } from "../ui.js";
import { historySection } from "./admin_history.js";
import { userLink } from "./admin_names.js";
import { botControls, dashboard } from "./cards.js";
import { tradingCharts } from "./charts.js";

function grantsTable(grants, names, revoke) {
  return table({
    caption: "Granted traders",
    rows: grants,
    empty: "This viewer may read no trader yet.",
    columns: [
      { label: "Trader", cell: (g) => h("a", { href: `#/admin/users/${seg(g.trader_id)}` }, g.trader_username) },
      { label: "Granted", cell: (g) => time(g.granted_at) },
      { label: "By", cell: (g) => userLink(names, g.granted_by) },
      { label: "", a11yLabel: "Actions", cell: (g) => button("Revoke", () => revoke(g), "secondary", { "aria-label": `Revoke ${g.trader_username}` }) },
    ],
  });
}

function grantForm(traders, give) {
  if (!traders.length) return h("p", { class: "muted" }, "Every trader is granted already (or there is no trader).");
  return actionForm(
    { class: "inline-form", "aria-label": "Grant a trader" },
    [
      field({ name: "trader_id", label: "Trader", options: traders.map((t) => ({ value: t.id, label: t.username })) }),
      h("button", { type: "submit", class: "btn btn-primary" }, "Grant read access"),
      formError(),
    ],
    (form) => give(form.elements.trader_id.value),
  );
}

export async function grantsSection(viewer, names) {
  const path = `/api/admin/users/${seg(viewer.id)}/grants`;
  const holder = h("div");
  async function load() {
    const [grants, traders] = await Promise.all([get(path), get("/api/admin/users", { role: "trader", limit: 500 })]);
    const granted = new Set(grants.map((g) => g.trader_id));
    fill(holder, grantsTable(grants, names, revoke), grantForm(traders.items.filter((t) => !granted.has(t.id)), give));
  }
  async function give(traderId) {
    await put(`${path}/${seg(traderId)}`);
    notify(`${viewer.username} may now read this trader.`);
    await load();
  }
  async function revoke(grant) {
    await del(`${path}/${seg(grant.trader_id)}`);
    notify(`${viewer.username} may no longer read ${grant.trader_username}.`);
    await load();
  }
  await load();
  return card("Viewer grants", h("p", { class: "muted" }, "The traders this viewer may read (read-only)."), holder);
}

export async function tradingSection(trader, me) {
  const path = `/api/admin/users/${seg(trader.id)}`;
  const holder = h("div", { class: "column" });
  const charts = tradingCharts(`${path}/equity`);
  async function act(verb, reason) {
    const answer = await post(`${path}/bot/${verb}`, reason ? { reason } : undefined);
    notify(`${trader.username}: ${answer.message}`);
    await load();
  }
  async function flatten() {
    if (!(await confirmAction(`Close every open position of ${trader.username} at market now?`, "Close his positions"))) return;
    await post(`${path}/flatten`);
    notify(`Closing the positions of ${trader.username}.`);
    await load();
  }
  async function load() {
    const d = await get(`${path}/dashboard`);
    const controls = [botControls(d.bot, act), h("div", { class: "buttons" }, button("Flatten his positions", flatten, "danger"))];
    fill(holder, dashboard(d, { controls, me: me.user_id }), charts.element);
    await charts.refresh({ settings: d.settings, positions: d.positions, trades: d.recent_trades }).catch(() => {});
  }
  await load();
  return [
    h("h2", { class: "section-title" }, "Trading account"),
    h("p", { class: "muted" }, "Opening this dashboard is recorded in the audit log."),
    holder,
    ...(await historySection(trader)),
  ];
}
