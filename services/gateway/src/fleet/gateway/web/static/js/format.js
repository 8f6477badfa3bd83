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

const NBSP = "\u00a0"; // a number and its unit never wrap apart

/** A decimal string rounded to `places` (half away from zero), as text: "2.005" -> "2.01". */
export function fixed(value, places) {
  if (value === null || value === undefined || value === "") return NONE;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(value));
  if (!match) return String(value);
  const [, minus, whole, fraction = ""] = match;
  const digits = `${whole}${fraction.padEnd(places + 1, "0").slice(0, places + 1)}`;
  let kept = BigInt(digits.slice(0, -1) || "0");
  if (Number(digits.slice(-1)) >= 5) kept += 1n;
  const text = kept.toString().padStart(places + 1, "0");
  const int = places ? text.slice(0, -places) : text;
  const shown = places ? `${group(int)}.${text.slice(-places)}` : group(int);
  return minus && /[1-9]/.test(text) ? `-${shown}` : shown;
}

/** Money: two places, grouped, with its unit ("9,659.99 USDT"). */
export function money(value, unit = "USDT") {
  const shown = fixed(value, 2);
  return shown === NONE ? NONE : `${shown}${NBSP}${unit}`;
}

/** A gain or loss with its sign: "+12.50 USDT", "-3.20 USDT", "0.00 USDT". */
export function signedMoney(value, unit = "USDT") {
  const shown = money(value, unit);
  return sign(value) === "pos" ? `+${shown}` : shown;
}

export function percent(value) {
  const shown = decimal(value);
  return shown === NONE ? NONE : `${shown}${NBSP}%`;
}

/** A change in %, two places with its sign: "+1.64 %". */
export function signedPercentText(value) {
  const shown = fixed(value, 2);
  if (shown === NONE) return NONE;
  return `${sign(value) === "pos" ? "+" : ""}${shown}${NBSP}%`;
}

/** A price on the market's precision when known ("48,083.2"), else as given. */
export function price(value, decimals) {
  return Number.isInteger(decimals) ? fixed(value, decimals) : decimal(value);
}

/** "pos", "neg" or "" by the sign of a decimal string. */
export function sign(value) {
  if (value === null || value === undefined) return "";
  const text = String(value);
  if (!/[1-9]/.test(text)) return "";
  return text.startsWith("-") ? "neg" : "pos";
}

/** A PnL figure coloured by its sign, with "+" on a gain. */
export function pnl(value) {
  return h("span", { class: ["num", "nowrap", sign(value)] }, signedMoney(value));
}

/** A change in % coloured by its sign, with "+" on a gain. */
export function signedPercent(value) {
  return h("span", { class: ["num", "nowrap", sign(value)] }, signedPercentText(value));
}

const pad = (n) => String(n).padStart(2, "0");
const ZONE_KEY = "fleet.times";

/** The browser's IANA time zone ("Europe/Berlin"). */
export function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** True when the user asked for times in UTC (stored in this browser). */
export function timesInUtc() {
  try {
    return localStorage.getItem(ZONE_KEY) === "utc";
  } catch {
    return false;
  }
}

export function setTimesInUtc(utc) {
  try {
    localStorage.setItem(ZONE_KEY, utc ? "utc" : "local");
  } catch {
    // storage refused (private mode): the choice lasts for this page only
  }
}

function utcText(t) {
  const day = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
  return `${day} ${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} UTC`;
}

let localFormat = null;
function localText(t) {
  localFormat ??= new Intl.DateTimeFormat("en-GB", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit", hourCycle: "h23", timeZoneName: "short",
  });
  const part = Object.fromEntries(localFormat.formatToParts(t).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`;
}

/** An ISO time from the API, in the browser's zone ("2025-01-31 15:05:09 CET"), or in
 * UTC when the user chose so ("2025-01-31 14:05:09 UTC"). */
export function when(iso) {
  if (!iso) return NONE;
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  return timesInUtc() ? utcText(t) : localText(t);
}

/** A <time> element for an ISO time. */
export function time(iso) {
  return iso ? h("time", { datetime: iso }, when(iso)) : NONE;
}

/** How long ago, in words: "just now", "3 s ago", "4 min ago", "2 h ago", "3 days ago". */
export function ago(iso, now = Date.now()) {
  const t = iso instanceof Date ? iso.getTime() : new Date(iso).getTime();
  if (Number.isNaN(t)) return NONE;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const days = Math.floor(s / 86400);
  return days === 1 ? "1 day ago" : `${days} days ago`;
}

/** A <time> that says how long ago, with the full time as its tooltip. */
export function age(iso) {
  return iso ? h("time", { datetime: iso, title: when(iso), class: "nowrap" }, ago(iso)) : NONE;
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
