// The trader's dashboard: GET /api/status (balance, BingX connection, bot, positions),
// GET /api/stats (today in the browser's zone), the latest risk decisions (routine skips
// folded), the current session, the recent trades, the bot's controls and the charts.
// Each card loads and fails alone: a failed request leaves the others (and the bot's Stop
// button) in place; "updated N s ago" says how fresh the page is, and a banner says when
// live updates have failed (socket down and the polls failing).

import { get, post } from "../api.js";
import { fill, h } from "../dom.js";
import { age, browserZone, setTimesInUtc, timesInUtc, when } from "../format.js";
import { isLive } from "../live.js";
import { card, heading, notify, region } from "../ui.js";
import { accountCard, botCard, botControls, credentialCard, sessionFacts, startBlocker, statsCard } from "./cards.js";
import { tradingCharts } from "./charts.js";
import { ownPositions } from "./positions.js";
import { decisionsTable, tradesTable } from "./tables.js";

const FEED = 50; // decisions read for the feed (routine skips fold into one row)
const FEED_ROWS = 8; // rows shown after folding
const RECENT_TRADES = 10;

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

/** A region that shows "Loading…" until its first data, and its error if that fails. */
function loading(title, render, props = {}) {
  const part = region(render, { ...props, "aria-busy": "true" });
  fill(part, card(title, h("p", { class: "muted loading" }, "Loading…")));
  let loaded = false;
  const update = part.update;
  part.update = (data) => {
    loaded = true;
    part.removeAttribute("aria-busy");
    part.classList.remove("stale");
    update(data);
  };
  part.fail = (error) => {
    part.removeAttribute("aria-busy");
    if (loaded) {
      part.classList.add("stale"); // the last figures stay, marked as not current
      part.title = `Could not refresh: ${error.message}`;
      return;
    }
    part.reset();
    fill(part, card(title, h("p", { class: "neg", role: "status" }, `Could not load: ${error.message}. Retrying…`)));
  };
  return part;
}

/** The latest decisions, routine skips folded, the first FEED_ROWS rows. */
function feed(found) {
  const table = decisionsTable(found.items, undefined, { fold: true });
  table.querySelectorAll("tbody tr").forEach((row, i) => {
    if (i >= FEED_ROWS) row.remove();
  });
  return table;
}

export function traderView(page, _params, { me }) {
  const bot = loading("Bot", ({ status }) =>
    botCard(
      status.bot,
      [settingsHint(status.trading_enabled), botControls(status.bot, act, { blocked: startBlocker(status.credential, status.trading_enabled) })],
      { me: me.user_id },
    ),
  );
  const balance = loading("Balance", (status) => accountCard(status.account, status.credential));
  const connection = loading("BingX connection", (credential) => credentialCard(credential, connectionExtra(credential)));
  const stats = loading("Statistics", statsCard);
  const positions = loading("Open positions", (found) => card("Open positions", ownPositions(() => refresh())(found)));
  const decisions = loading("Latest risk decisions", (found) =>
    card(
      "Latest risk decisions",
      h("p", { class: "muted" }, "Why the risk engine entered, exited or skipped each signal for you; routine skips are folded."),
      feed(found),
      h("p", {}, h("a", { href: "#/trader/decisions" }, "All decisions")),
    ),
  );
  const session = loading("Current session", (current) => card("Current session", sessionFacts(current)));
  const trades = loading("Recent trades", (found) =>
    card("Recent trades", tradesTable(found.slice(0, RECENT_TRADES)), h("p", {}, h("a", { href: "#/trader/history" }, "All trades and sessions"))),
  );
  const charts = tradingCharts("/api/equity");
  const updated = h("p", { class: "updated muted", "aria-live": "off", "data-testid": "updated" }, "Loading…");
  const banner = h("div", { class: "banner banner-danger", role: "alert", hidden: true, "data-testid": "stale-banner" });
  const state = { lastOk: null, failing: false };

  function showFreshness() {
    if (!page.isConnected) return clearInterval(ticker);
    if (state.lastOk) fill(updated, "Updated ", age(state.lastOk.toISOString()));
    banner.hidden = !(state.failing && !isLive());
    if (!banner.hidden) {
      const since = state.lastOk ? ["the figures below are from ", when(state.lastOk.toISOString()), " (", age(state.lastOk.toISOString()), ")"] : "nothing could be loaded yet";
      fill(banner, h("strong", {}, "Live updates have failed: "), since, ". Retrying…");
    }
    return undefined;
  }
  const ticker = setInterval(showFreshness, 1000);

  /** Each card from its own request: the ones that fail keep their last figures. */
  async function refresh() {
    const asks = {
      status: get("/api/status"),
      stats: get("/api/stats", { tz: browserZone() }),
      decisions: get("/api/decisions", { limit: FEED }),
      sessions: get("/api/sessions", { limit: 1 }),
      trades: get("/api/trades", { limit: 100 }),
    };
    const names = Object.keys(asks);
    const results = Object.fromEntries((await Promise.allSettled(Object.values(asks))).map((r, i) => [names[i], r]));
    const ok = (name) => results[name].status === "fulfilled";
    const value = (name) => results[name].value;
    const status = ok("status") ? value("status") : null;
    if (status) {
      balance.update(status);
      bot.update({ status: { bot: status.bot, trading_enabled: status.trading_enabled, credential: status.credential } });
      connection.update(status.credential);
      positions.update(status.positions);
    } else {
      for (const part of [balance, bot, connection, positions]) part.fail(results.status.reason);
    }
    if (ok("stats")) stats.update(value("stats"));
    else stats.fail(results.stats.reason);
    if (ok("decisions")) decisions.update(value("decisions"));
    else decisions.fail(results.decisions.reason);
    if (ok("sessions")) {
      const [latest] = value("sessions").items;
      session.update(latest && latest.status !== "stopped" ? latest : null);
    } else session.fail(results.sessions.reason);
    if (ok("trades")) trades.update(value("trades").items);
    else trades.fail(results.trades.reason);
    const failed = Object.values(results).filter((r) => r.status === "rejected");
    state.failing = failed.length === names.length;
    if (failed.length < names.length) state.lastOk = new Date();
    showFreshness();
    if (state.failing) throw failed[0].reason; // live.js retries at its next tick
    // the charts fail alone (e.g. market data not there yet): the cards above stay
    if (status && ok("trades")) {
      const settings = await get("/api/settings").catch(() => null);
      if (settings) await charts.refresh({ settings, positions: status.positions, trades: value("trades").items }).catch(() => {});
    }
  }

  async function act(verb, reason) {
    const answer = await post(`/api/bot/${verb}`, reason ? { reason } : undefined);
    notify(answer.message || `bot ${verb}`);
    await refresh();
  }

  const utc = h("input", { type: "checkbox", id: "times-utc", checked: timesInUtc() });
  utc.addEventListener("change", () => {
    setTimesInUtc(utc.checked);
    for (const part of [balance, bot, connection, stats, positions, decisions, session, trades]) part.reset();
    refresh().catch(() => {});
  });

  fill(
    page,
    heading(
      `Dashboard of ${me.username}`,
      h("div", { class: "page-tools" }, updated, h("label", { class: "toggle", for: "times-utc" }, utc, " Times in UTC")),
    ),
    banner,
    h("div", { class: "grid" }, balance, bot, connection, stats, session),
    positions,
    charts.element,
    decisions,
    trades,
  );
  return refresh;
}
