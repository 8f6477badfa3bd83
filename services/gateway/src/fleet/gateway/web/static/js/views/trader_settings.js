// The trader's settings (GET/PUT /api/settings). Field names, ranges and choices come
// from the API's own OpenAPI document, so the form cannot drift from what the API
// accepts; the API validates, and its refusal is shown next to the field it names.

import { get, put } from "../api.js";
import { fill, h } from "../dom.js";
import { setLeaveGuard } from "../leave.js";
import { actionForm, card, field, formError, heading, notify } from "../ui.js";

// plain-language labels and explanations; every percentage is entered and shown in %
// (0–100), "% of equity" as the risk decisions say it
const FIELDS = [
  { name: "trading_enabled", label: "Trading enabled", kind: "bool", hint: "Off: the bot takes no new trade even when started." },
  { name: "symbols", label: "Symbols", kind: "list", hint: "Comma-separated USDT-M perpetuals, e.g. BTC-USDT, ETH-USDT." },
  { name: "timeframe", label: "Timeframe (candle length)", kind: "choice", hint: "How long each candle the strategy reads lasts: 5m looks at 5-minute candles and trades more often than 1h." },
  { name: "risk_per_trade", label: "Risk per trade", kind: "decimal", unit: "% of equity", hint: "The most one trade may lose if its stop is hit, in % of your equity (e.g. 2)." },
  { name: "daily_loss_limit", label: "Daily loss limit", kind: "decimal", unit: "% of equity", hint: "After losing this much today, the bot pauses itself until tomorrow." },
  { name: "max_drawdown", label: "Maximum drawdown", kind: "decimal", unit: "% of equity", hint: "The bot stops when equity falls this far below its peak." },
  { name: "max_positions", label: "Maximum open positions", kind: "int" },
  { name: "leverage", label: "Leverage", kind: "int", unit: "×", hint: "Borrowed exposure per position: at 10× a 10 % price move against you wipes out the margin. Above 20× is high risk." },
  { name: "position_mode", label: "Position mode", kind: "choice", hint: "Hedge: a long and a short on the same symbol can be open at once. One-way: one position per symbol." },
  { name: "adx_threshold", label: "Trend strength needed (ADX)", kind: "decimal", hint: "ADX measures how strong a trend is (0–100). Signals below this are skipped; 20–30 is usual." },
  { name: "min_confidence", label: "Minimum signal confidence", kind: "decimal", unit: "%", hint: "0–100 %: signals the strategy is less sure of are skipped (e.g. 60 for 60 %)." },
  { name: "flatten_on_stop", label: "Close my positions when the bot stops", kind: "bool" },
];
const HIGH_LEVERAGE = 20;

const SWITCHES = FIELDS.filter((def) => def.kind === "bool");
const VALUES = FIELDS.filter((def) => def.kind !== "bool");
let schema = null;

/** The properties of SettingsUpdate in /openapi.json (limits and choices), once. */
function settingsSchema() {
  schema ??= get("/openapi.json")
    .then((doc) => doc.components.schemas.SettingsUpdate.properties)
    .catch(() => ({}));
  return schema;
}

function limitsOf(property) {
  const found = {};
  for (const variant of property?.anyOf || [property || {}]) {
    if (variant.minimum !== undefined) found.min = variant.minimum;
    if (variant.maximum !== undefined) found.max = variant.maximum;
    if (variant.enum) found.choices = variant.enum;
  }
  return found;
}

function hintOf(def, limits) {
  const range = limits.min === undefined || limits.max === undefined ? "" : `From ${limits.min} to ${limits.max}${def.unit ? ` ${def.unit.split(" ")[0]}` : ""}.`;
  return [def.hint, range].filter(Boolean).join(" ") || undefined;
}

/** A warning under the leverage while it is above HIGH_LEVERAGE. */
function leverageWarning(form) {
  const input = form.elements.leverage;
  const warning = h("p", { class: "hint-box", role: "status", "data-testid": "leverage-warning", hidden: true });
  const check = () => {
    const value = Number(input.value);
    warning.hidden = !(value > HIGH_LEVERAGE);
    fill(warning, warning.hidden ? "" : `High leverage: at ${value}× a ${(100 / value).toFixed(1)} % move against a position wipes out its margin.`);
  };
  input.addEventListener("input", check);
  input.closest(".field").append(warning);
  check();
}

/** Connect → enable trading → start: where the trader stands (GET /api/status). */
function checklist(status) {
  const connected = status.credential && status.credential.status === "verified";
  const enabled = status.trading_enabled;
  const started = status.bot && ["running", "paused"].includes(status.bot.status);
  const step = (done, text, link) => h("li", { class: done ? "done" : "todo" }, h("span", { "aria-hidden": "true" }, done ? "✓ " : "○ "), h("span", { class: "sr-only" }, done ? "Done: " : "To do: "), link ? h("a", { href: link }, text) : text);
  const next = !connected ? "Start is possible once your BingX key is connected and verified." : !enabled ? "Start is possible once trading is enabled below." : started ? "Your bot is on." : "Ready: start your bot on the dashboard.";
  return card(
    "Getting started",
    h("ol", { class: "checklist", "data-testid": "onboarding" }, step(connected, "Connect your BingX key", "#/trader/connection"), step(enabled, "Enable trading (below)"), step(started, "Start the bot on the dashboard", "#/trader")),
    h("p", { class: "muted", "data-testid": "start-reason" }, next),
  );
}

function input(def, value, limits) {
  const base = { name: def.name, label: def.unit ? `${def.label} (${def.unit})` : def.label, hint: hintOf(def, limits) };
  if (def.kind === "bool") return field({ ...base, type: "checkbox", checked: Boolean(value) });
  if (def.kind === "choice") {
    return field({ ...base, options: (limits.choices || [value]).map((c) => ({ value: c, label: c.replaceAll("_", "-") })), value });
  }
  if (def.kind === "list") return field({ ...base, value: value.join(", "), autocapitalize: "characters", spellcheck: "false" });
  if (def.kind === "int") return field({ ...base, type: "number", step: "1", min: limits.min, max: limits.max, value: String(value) });
  return field({ ...base, inputmode: "decimal", value: String(value) });
}

function readValue(def, el) {
  if (def.kind === "bool") return el.checked;
  const text = el.value.trim();
  if (def.kind === "list") return text.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (def.kind === "int") return /^-?\d+$/.test(text) ? Number(text) : text;
  return text;
}

function changesOf(form, current) {
  const changes = {};
  for (const def of FIELDS) {
    const value = readValue(def, form.elements[def.name]);
    if (JSON.stringify(value) !== JSON.stringify(current[def.name])) changes[def.name] = value;
  }
  return changes;
}

export async function settingsView(page) {
  const [current, properties, status] = await Promise.all([get("/api/settings"), settingsSchema(), get("/api/status").catch(() => null)]);
  const holder = h("div");
  let form = null;
  let shown = current;
  setLeaveGuard(() => Boolean(form && form.isConnected && Object.keys(changesOf(form, shown)).length));

  function render(settings) {
    shown = settings;
    form = actionForm(
      { class: "settings-form", "aria-label": "Trading settings" },
      [
        h("div", { class: "checks" }, SWITCHES.map((def) => input(def, settings[def.name], {}))),
        h("div", { class: "form-grid" }, VALUES.map((def) => input(def, settings[def.name], limitsOf(properties[def.name])))),
        formError(),
        h("div", { class: "buttons" }, h("button", { type: "submit", class: "btn btn-primary" }, "Save settings")),
      ],
      async (f) => {
        const changes = changesOf(f, settings);
        if (!Object.keys(changes).length) return notify("Nothing changed.");
        const saved = await put("/api/settings", changes);
        render(saved);
        return notify("Settings saved: the next signal uses them.");
      },
    );
    fill(holder, form);
    leverageWarning(form);
  }

  render(current);
  fill(
    page,
    heading("Trading settings"),
    status && checklist(status),
    card(
      "Your risk limits",
      h("p", { class: "muted" }, "Percentages are % of your equity (balance plus open profit or loss), as in the risk decisions. The risk engine applies these to every signal; unsaved changes are asked about before you leave."),
      holder,
    ),
  );
}
