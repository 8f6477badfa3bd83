// Cards of one trader's account: balance, BingX connection, bot, statistics, settings;
// and the whole read-only dashboard admins and viewers see.

import { h } from "../dom.js";
import { decimal, money, percent, pnl, time, words, yesNo } from "../format.js";
import { badge, button, card, confirmAction, environmentBadge, facts } from "../ui.js";
import { decisionsTable, positionsTable, statsFacts, tradesTable } from "./tables.js";

export function accountCard(account, credential) {
  const balance = account?.balance ?? credential?.balance ?? null;
  if (balance === null) {
    return card("Balance", h("p", { class: "empty" }, "No balance yet: it appears once BingX is connected."));
  }
  return card(
    "Balance",
    h("p", { class: "big num", "data-testid": "balance" }, money(balance)),
    facts([
      account && ["Equity", money(account.equity)],
      account && ["Available margin", money(account.available_margin)],
      account && ["Unrealised PnL", pnl(account.unrealised_pnl)],
      ["As of", time(account?.valued_at ?? credential?.last_verified_at)],
    ]),
  );
}

export function maskedKey(last4) {
  return last4 ? `•••• ${last4}` : "—";
}

export function credentialFacts(credential) {
  return facts([
    ["Status", h("span", { "data-testid": "credential-status" }, badge(credential.status))],
    credential.environment && ["Environment", environmentBadge(credential.environment)],
    ["API key", h("span", { class: "mono", "data-testid": "api-key" }, maskedKey(credential.api_key_last4))],
    credential.account_type && ["Account", credential.account_type],
    credential.ip_addresses?.length && ["IP whitelist", credential.ip_addresses.join(", ")],
    credential.last_verified_at && ["Last verified", time(credential.last_verified_at)],
    credential.last_failure_reason && ["Last failure", h("span", { class: "neg" }, credential.last_failure_reason)],
  ]);
}

export function credentialCard(credential, extra) {
  return card("BingX connection", credentialFacts(credential), extra);
}

/** Start / pause / resume / stop, as the bot's status allows; `send(verb, reason)` acts. */
/** Why the trader's bot cannot start yet (connect → enable → start), or null. */
export function startBlocker(credential, tradingEnabled) {
  if (!credential || credential.status !== "verified") return "Start is possible once your BingX key is connected and verified.";
  if (!tradingEnabled) return "Start is possible once trading is enabled in your settings.";
  return null;
}

/** The bot's buttons; `blocked` (a reason) disables Start and shows why. */
export function botControls(bot, send, { blocked = null } = {}) {
  const reason = h("input", { type: "text", id: "bot-reason", maxlength: "256", placeholder: "optional" });
  const stop = async () => {
    if (await confirmAction("Stop the bot? Its trading session ends; open positions stay unless flatten-on-stop is set.", "Stop the bot")) {
      await send("stop", reason.value.trim());
    }
  };
  const running = bot.status === "running";
  const paused = bot.status === "paused";
  const buttons = [
    !running && !paused && button("Start bot", () => send("start"), "primary", blocked ? { disabled: true, "aria-describedby": "start-blocked" } : {}),
    running && button("Pause", () => send("pause", reason.value.trim())),
    paused && button("Resume", () => send("resume"), "primary"),
    (running || paused) && button("Stop", stop, "danger"),
  ];
  return h(
    "div",
    { class: "controls" },
    (running || paused) && h("div", { class: "field inline" }, h("label", { for: "bot-reason" }, "Reason"), reason),
    h("div", { class: "buttons" }, buttons),
    blocked && !running && !paused && h("p", { class: "muted", id: "start-blocked", "data-testid": "start-blocked" }, blocked),
  );
}

/** Who changed the bot, in words (`by` is a user id, or "system" for Fleet itself). */
export function byWhom(by, { owner, me } = {}) {
  if (by === me) return "you";
  if (by === owner) return "the trader";
  if (by === "system") return "Fleet (automatically)";
  return "an administrator";
}

export function botCard(bot, controls, people = {}) {
  return card(
    "Bot",
    h("p", { class: "big" }, badge(bot.status)),
    facts([
      bot.pause_reason && ["Paused because", h("span", { "data-testid": "pause-reason" }, bot.pause_reason)],
      bot.paused_automatically && ["Paused by", "the risk engine"],
      bot.started_at && ["Started", time(bot.started_at)],
      bot.stopped_at && ["Stopped", time(bot.stopped_at)],
      bot.changed_by && ["Last changed by", byWhom(bot.changed_by, people)],
    ]),
    controls,
  );
}

export function statsCard(stats) {
  return card("Statistics", facts(statsFacts(stats)));
}

export function settingsFacts(settings) {
  return facts([
    ["Trading enabled", yesNo(settings.trading_enabled)],
    ["Symbols", settings.symbols.join(", ")],
    ["Timeframe", settings.timeframe],
    ["Risk per trade", percent(settings.risk_per_trade)],
    ["Daily loss limit", percent(settings.daily_loss_limit)],
    ["Max drawdown", percent(settings.max_drawdown)],
    ["Max positions", String(settings.max_positions)],
    ["Leverage", `${settings.leverage}×`],
    ["Position mode", words(settings.position_mode)],
    ["ADX threshold", decimal(settings.adx_threshold)],
    ["Min confidence", percent(settings.min_confidence)],
    ["Flatten on stop", yesNo(settings.flatten_on_stop)],
  ]);
}

export function sessionFacts(session) {
  if (!session) return h("p", { class: "empty" }, "No session running.");
  return facts([
    ["Status", badge(session.status)],
    ["Started", time(session.started_at)],
    ["Initial balance", money(session.initial_balance)],
    ["Current balance", money(session.current_balance)],
    ["Trades", `${session.trades} (${session.wins} won, ${session.losses} lost)`],
    ["PnL", pnl(session.total_pnl)],
  ]);
}

/** A trader's whole dashboard (GET …/dashboard); `controls` only where one may act. */
export function dashboard(d, { controls = null, decisions = null, me = null } = {}) {
  return [
    h(
      "div",
      { class: "grid" },
      accountCard(d.account, d.credential),
      botCard(d.bot, controls, { owner: d.user_id, me }),
      credentialCard(d.credential),
      statsCard(d.stats),
    ),
    card("Open positions", positionsTable(d.positions)),
    decisions && card("Risk decisions", decisionsTable(decisions, undefined, { fold: true })),
    h("div", { class: "grid grid-2" }, card("Current session", sessionFacts(d.current_session)), card("Settings", settingsFacts(d.settings))),
    card("Recent trades", tradesTable(d.recent_trades)),
  ];
}
