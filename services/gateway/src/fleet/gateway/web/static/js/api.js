// The only way the UI talks to the gateway: JSON over fetch, the session in its HttpOnly
// cookie, and on every state-changing request the X-CSRF-Token header repeating the
// readable fleet_csrf cookie (read at each request: a password change renews it).

import { when } from "./format.js";

const CSRF_COOKIE = "fleet_csrf";
const READ_METHODS = new Set(["GET", "HEAD"]);
let onSignedOut = () => {};

/** A refusal of the API: its one error shape, `{"error": {code, message, details}}`. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `the gateway answered ${status}`);
    this.status = status;
    this.code = error.code || "error";
    this.details = error.details || {};
  }

  /** The top-level field the API names ("symbols.0" -> "symbols"), if any. */
  get field() {
    const named = this.details.field;
    return typeof named === "string" ? named.split(".")[0] : null;
  }

  /** Every field named, with its message (a 422 may name several). */
  get problems() {
    const listed = Array.isArray(this.details.problems) ? this.details.problems : [];
    if (listed.length) {
      return listed.map((p) => ({ field: String(p.field).split(".")[0], message: p.message }));
    }
    return this.field ? [{ field: this.field, message: this.message }] : [];
  }

  /** What to tell the user: the API's message, and when to retry (throttled, locked). */
  get text() {
    const { retry_after_s: wait, until } = this.details;
    if (wait) return `${this.message} (try again in ${wait} s)`;
    if (this.code === "locked" && until) return `${this.message} (until ${when(until)})`;
    return this.message;
  }
}

/** Called once with a handler for "the session is gone" (a 401 outside sign-in). */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function send(method, url, body) {
  const headers = { Accept: "application/json" };
  if (!READ_METHODS.has(method)) {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    return await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, {
      error: { code: "network", message: "The gateway cannot be reached right now." },
    });
  }
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** One request; the decoded answer, or an ApiError. */
export async function request(method, path, { body, query } = {}) {
  const response = await send(method, withQuery(path, query), body);
  const payload = await readJson(response);
  if (response.ok) return payload;
  const error = new ApiError(response.status, payload);
  if (response.status === 401 && path !== "/api/auth/login") onSignedOut(error);
  throw error;
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body) => request("POST", path, { body });
export const put = (path, body) => request("PUT", path, { body });
export const patch = (path, body) => request("PATCH", path, { body });
export const del = (path) => request("DELETE", path);

/** A path segment from an id the API gave (ids are [A-Za-z0-9_-], encoded anyway). */
export const seg = (id) => encodeURIComponent(id);
