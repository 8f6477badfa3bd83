// The trader's dashboard: GET /api/status (balance, BingX connection, bot, positions),
// GET /api/stats, the latest risk decisions, the bot's controls, and the charts (charts.js).

import { get, post } from "../api.js";
import { fill, h } from "../dom.js";
import { card, heading, notify, region } from "../ui.js";
import { accountCard, botCard, botControls, credentialCard, statsCard } from "./cards.js";
import { tradingCharts } from "./charts.js";
import { ownPositions } from "./positions.js";
import { decisionsTable } from "./tables.js";

function settingsHint(enabled) {
  if (enabled) return null;
  return h(
    "p",
    { class: "hint-box" },
    "Trading is off in your settings: turn it on in ",
    h("a", { href: "#/trader/settings" }, "Settings"),
    " before you start the bot.",
  );
}

function connectionExtra(credential) {
  const verified = credential.status === "verified";
  return h(
    "p",
    {},
    h("a", { href: "#/trader/connection" }, verified ? "Manage the connection" : "Connect your BingX account"),
  );
}

export function traderView(page, _params, { me }) {
  const bot = region(({ status }) =>
    botCard(status.bot, [settingsHint(status.trading_enabled), botControls(status.bot, act)], { me: me.user_id }),
  );
  const balance = region((status) => accountCard(status.account, status.credential));
  const connection = region((credential) => credentialCard(credential, connectionExtra(credential)));
  const stats = region(statsCard);
  const positions = region(ownPositions(() => refresh()));
  const decisions = region((found) => decisionsTable(found.items));
  const charts = tradingCharts("/api/equity");

  async function refresh() {
    const [status, statistics, latest] = await Promise.all([
      get("/api/status"),
      get("/api/stats"),
      get("/api/decisions", { limit: 5 }),
    ]);
    balance.update(status);
    bot.update({ status: { bot: status.bot, trading_enabled: status.trading_enabled } });
    connection.update(status.credential);
    stats.update(statistics);
    positions.update(status.positions);
    decisions.update(latest);
    // the charts fail alone (e.g. market data not there yet): the cards above stay
    const [settings, trades] = await Promise.all([get("/api/settings"), get("/api/trades", { limit: 100 })]);
    await charts.refresh({ settings, positions: status.positions, trades: trades.items }).catch(() => {});
  }

  async function act(verb, reason) {
    const answer = await post(`/api/bot/${verb}`, reason ? { reason } : undefined);
    notify(answer.message || `bot ${verb}`);
    await refresh();
  }

  fill(
    page,
    heading(`Dashboard of ${me.username}`),
    h("div", { class: "grid" }, balance, bot, connection, stats),
    card("Open positions", positions),
    charts.element,
    card(
      "Latest risk decisions",
      h("p", { class: "muted" }, "Why the risk engine entered, exited or skipped each signal for you."),
      decisions,
      h("p", {}, h("a", { href: "#/trader/decisions" }, "All decisions")),
    ),
  );
  return refresh;
}
