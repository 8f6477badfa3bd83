// The trader's settings (GET/PUT /api/settings). Field names, ranges and choices come
// from the API's own OpenAPI document, so the form cannot drift from what the API
// accepts; the API validates, and its refusal is shown next to the field it names.

import { get, put } from "../api.js";
import { fill, h } from "../dom.js";
import { actionForm, card, field, formError, heading, notify } from "../ui.js";

const FIELDS = [
  { name: "trading_enabled", label: "Trading enabled", kind: "bool" },
  { name: "symbols", label: "Symbols", kind: "list", hint: "Comma-separated USDT-M perpetuals, e.g. BTC-USDT, ETH-USDT." },
  { name: "timeframe", label: "Timeframe", kind: "choice" },
  { name: "risk_per_trade", label: "Risk per trade", kind: "decimal", unit: "%" },
  { name: "daily_loss_limit", label: "Daily loss limit", kind: "decimal", unit: "%" },
  { name: "max_drawdown", label: "Maximum drawdown", kind: "decimal", unit: "%" },
  { name: "max_positions", label: "Maximum open positions", kind: "int" },
  { name: "leverage", label: "Leverage", kind: "int", unit: "×" },
  { name: "position_mode", label: "Position mode", kind: "choice" },
  { name: "adx_threshold", label: "ADX threshold", kind: "decimal" },
  { name: "min_confidence", label: "Minimum signal confidence", kind: "decimal", unit: "%" },
  { name: "flatten_on_stop", label: "Close my positions when the bot stops", kind: "bool" },
];

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
  if (def.hint) return def.hint;
  if (limits.min === undefined || limits.max === undefined) return undefined;
  return `From ${limits.min} to ${limits.max}${def.unit ? ` ${def.unit}` : ""}.`;
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
  const [current, properties] = await Promise.all([get("/api/settings"), settingsSchema()]);
  const holder = h("div");

  function render(settings) {
    const form = actionForm(
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
  }

  render(current);
  fill(
    page,
    heading("Trading settings"),
    card(
      "Your risk limits",
      h("p", { class: "muted" }, "Percentages are of your account balance. The risk engine applies these to every signal."),
      holder,
    ),
  );
}
