// The admin's performance-fee terms: every trader's rate, start date and plan, and the
// form that sets one trader's rate (in %, 0 = off) and start date (audited by the API).
// Rates travel as decimal strings: a percentage is moved two places as text, never a float.

import { put, seg } from "../api.js";
import { h } from "../dom.js";
import { money } from "../format.js";
import { actionForm, field, formError, notify, showError, table } from "../ui.js";
import { ratePercent } from "./billing_tables.js";

const PERCENT = /^\d{1,2}(\.\d{1,2})?$/;
const RATE_RULE = "Enter a rate from 0 to 99.99 % with at most two decimals (0 turns the fee off).";

/** "20" -> "0.2", "7.25" -> "0.0725", "0" -> "0"; null when the text is no rate. */
export function fractionOf(percentText) {
  const text = percentText.trim().replace(/\s*%$/, "");
  if (!PERCENT.test(text)) return null;
  const [whole, part = ""] = text.split(".");
  const fraction = `0.${whole.padStart(2, "0")}${part}`.replace(/0+$/, "").replace(/\.$/, "");
  return fraction;
}

const traderName = (t) => t.username || t.user_id;

function termsTable(traders) {
  return table({
    caption: "Performance-fee terms per trader",
    rows: traders,
    empty: "No trader yet.",
    columns: [
      { label: "Trader", cell: traderName },
      { label: "Fee rate", num: true, cell: (t) => (t.rate === null ? "not set" : ratePercent(t.rate)) },
      { label: "From", cell: (t) => t.starts_on ?? "—" },
      { label: "Plan", cell: (t) => (t.plan ? [t.plan, h("br"), money(t.plan_price)] : "none") },
    ],
  });
}

function problem(form, name, message) {
  showError(form, { problems: [{ field: name, message }] });
}

function feeForm(traders, reload) {
  const today = new Date().toISOString().slice(0, 10);
  const choices = traders.map((t) => ({ value: t.user_id, label: traderName(t) }));
  return actionForm(
    { class: "stack", "aria-label": "Set a trader's performance fee" },
    [
      field({ name: "user_id", label: "Trader", options: choices, required: true }),
      field({ name: "rate", label: "Fee rate (%)", inputmode: "decimal", required: true, placeholder: "20", hint: "Of the gain above the high-water mark, per period; 0 turns the fee off." }),
      field({ name: "starts_on", label: "Starts on", type: "date", value: today, required: true, hint: "The first day counted (UTC)." }),
      h("button", { type: "submit", class: "btn btn-primary" }, "Set fee"),
      formError(),
    ],
    async (form) => {
      const v = (name) => form.elements[name].value.trim();
      const rate = fractionOf(v("rate"));
      if (!v("user_id")) return problem(form, "user_id", "Choose a trader.");
      if (rate === null) return problem(form, "rate", RATE_RULE);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v("starts_on"))) return problem(form, "starts_on", "Enter a date, e.g. 2026-12-01.");
      await put(`/api/admin/users/${seg(v("user_id"))}/fee`, { rate, starts_on: v("starts_on") });
      const name = traderName(traders.find((t) => t.user_id === v("user_id")) || { user_id: v("user_id") });
      notify(`Fee of ${name}: ${ratePercent(rate)} from ${v("starts_on")}.`);
      await reload();
    },
  );
}

/** The terms table and the form, rendered from `GET /api/admin/billing/terms`. */
export function feeTerms(found, reload) {
  return [termsTable(found.traders), found.traders.length ? feeForm(found.traders, reload) : null];
}
