// How values are shown. Money and quantities are the API's decimal strings: they are
// grouped and labelled as text, never turned into floats.

import { h } from "./dom.js";

const NONE = "—";

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "12345.60" -> "12,345.60" (string work only). */
export function decimal(value) {
  if (value === null || value === undefined || value === "") return NONE;
  const text = String(value);
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(text);
  return match ? `${match[1]}${group(match[2])}${match[3] || ""}` : text;
}

export function money(value, unit = "USDT") {
  const shown = decimal(value);
  return shown === NONE ? NONE : `${shown} ${unit}`;
}

export function percent(value) {
  const shown = decimal(value);
  return shown === NONE ? NONE : `${shown} %`;
}

/** "pos", "neg" or "" by the sign of a decimal string. */
export function sign(value) {
  if (value === null || value === undefined) return "";
  const text = String(value);
  if (text.startsWith("-")) return "neg";
  return /[1-9]/.test(text) ? "pos" : "";
}

/** A PnL figure coloured by its sign. */
export function pnl(value) {
  return h("span", { class: ["num", sign(value)] }, money(value));
}

const pad = (n) => String(n).padStart(2, "0");

/** An ISO time from the API, shown in UTC ("2025-01-31 14:05:09 UTC"). */
export function when(iso) {
  if (!iso) return NONE;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  const day = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  return `${day} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} UTC`;
}

/** A <time> element for an ISO time. */
export function time(iso) {
  return iso ? h("time", { datetime: iso }, when(iso)) : NONE;
}

/** "never_started" -> "never started". */
export function words(value) {
  return value === null || value === undefined ? NONE : String(value).replaceAll("_", " ");
}

export function yesNo(value) {
  return value ? "yes" : "no";
}

/** "2025-01-31" (a date input) -> the ISO start of that day in UTC, plus `days`. */
export function dayStart(date, days = 0) {
  if (!date) return "";
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString();
}

export { NONE };
