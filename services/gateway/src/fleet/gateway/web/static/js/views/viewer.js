// A viewer's pages: the traders an admin granted him (GET /api/viewer/traders) and their
// read-only dashboards. Nothing here changes anything: no button, no form.

import { get, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { badge, card, heading, region, table } from "../ui.js";
import { csvLink } from "../download.js";
import { dashboard } from "./cards.js";
import { tradingCharts } from "./charts.js";
import { decisionList } from "./decision_list.js";

function tradersTable(traders) {
  return table({
    caption: "Traders you may read",
    rows: traders,
    empty: "No trader has been granted to you yet: ask an administrator.",
    columns: [
      { label: "Trader", cell: (t) => h("a", { href: `#/viewer/${seg(t.trader_id)}` }, t.username) },
      { label: "Bot", cell: (t) => badge(t.bot_status) },
      { label: "Granted", cell: (t) => time(t.granted_at) },
    ],
  });
}

export function viewerTradersView(page) {
  const list = region(tradersTable);
  fill(page, heading("Traders"), card("Traders you may read", list));
  return async () => list.update(await get("/api/viewer/traders"));
}

export function viewerDashboardView(page, { id }) {
  const title = h("h1", {}, "Trader");
  const body = region((d) => dashboard(d));
  const charts = tradingCharts(`/api/viewer/traders/${seg(id)}/equity`);
  const base = `/api/viewer/traders/${seg(id)}`;
  const download = csvLink(`${base}/decisions.csv`);
  const decisions = decisionList(`${base}/decisions`, { pageSize: 20, changed: (values) => download.update(values) });
  fill(
    page,
    h("div", { class: "page-head" }, title, h("span", { class: "tag" }, "read-only")),
    h("p", {}, h("a", { href: "#/viewer" }, "← All traders")),
    body,
    charts.element,
    card("Risk decisions", h("p", { class: "muted" }, "Routine skips (no DI cross, a position already held) are folded."), decisions.filters, decisions.list, download),
  );
  return async () => {
    const d = await get(`/api/viewer/traders/${seg(id)}/dashboard`);
    fill(title, `Dashboard of ${d.username}`);
    body.update(d);
    await decisions.refresh();
    await charts.refresh({ settings: d.settings, positions: d.positions, trades: d.recent_trades }).catch(() => {});
  };
}
