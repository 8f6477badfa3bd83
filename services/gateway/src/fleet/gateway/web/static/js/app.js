// The page's entry point: who is signed in (GET /api/auth/me), the header and navigation
// for his role, and the view the address names (#/trader, #/admin/users/<id>, ...).

import { csrfToken, get, post, whenSignedOut } from "./api.js";
import { bellButton } from "./bell.js";
import { fill, h } from "./dom.js";
import { mayLeave, setLeaveGuard } from "./leave.js";
import { keepFresh, startLive, stopLive, stopRefreshing } from "./live.js";
import { homeOf, match, navFor } from "./routes.js";
import { badge, environmentBadge, notify } from "./ui.js";
import { loginView, passwordView } from "./views/login.js";
import { enrolView } from "./views/two_factor.js";

const main = document.getElementById("main");
const state = { me: null };
let navigation = 0;

async function loadMe() {
  if (!csrfToken()) {
    state.me = null; // no session cookie pair: sign in first (no 401 to ask for)
    return;
  }
  try {
    state.me = await get("/api/auth/me");
  } catch (error) {
    state.me = null;
    if (error.status !== 401) notify(error.text, "error");
  }
}

function signedOut(message) {
  const wasIn = state.me !== null;
  state.me = null;
  stopRefreshing();
  stopLive();
  if (wasIn && message) notify(message, "error");
  if (location.hash !== "#/login") location.hash = "#/login";
  else show();
}

async function signOut() {
  try {
    await post("/api/auth/logout");
  } finally {
    state.me = null;
    notify("You are signed out.");
    signedOut(null);
  }
}

function renderChrome(current) {
  const me = state.me;
  const links = me && !me.must_change_password && !me.second_factor_required ? navFor(me.role) : [];
  fill(
    document.getElementById("nav"),
    links.map((r) => h("a", { href: `#/${r.path}`, "aria-current": r === current ? "page" : null }, r.title)),
  );
  const who = document.getElementById("who");
  if (!me) return fill(who);
  const out = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "Sign out");
  out.addEventListener("click", signOut);
  fill(who, bellButton(), h("span", { class: "who-name" }, me.username), badge(me.role), out);
  if (me.role === "trader") showEnvironment(who);
  return who;
}

/** On every page of a trader: the badge of where his orders go (from GET /api/status). */
async function showEnvironment(who) {
  try {
    const status = await get("/api/status");
    const shown = environmentBadge(status.environment, status.simulated);
    if (shown && who.isConnected) who.prepend(shown);
  } catch {
    // the page itself reports a failing API; the badge just stays away
  }
}

async function afterSignIn() {
  await loadMe();
  const me = state.me;
  const wanted = !me || match(location.hash, me.role) ? location.hash : `#/${homeOf(me.role)}`;
  if (location.hash !== wanted) location.hash = wanted;
  else show();
}

function showSignIn(page, mine) {
  renderChrome(null);
  document.title = "Sign in · Fleet";
  if (state.me) return passwordView(page, { forced: true, me: state.me, onDone: afterSignIn });
  return mine === navigation ? loginView(page, { onSignedIn: afterSignIn }) : undefined;
}

async function show() {
  stopRefreshing();
  navigation += 1;
  const mine = navigation;
  const page = h("div", { class: "page" });
  main.replaceChildren(page);
  if (!state.me || state.me.must_change_password) return showSignIn(page, mine);
  if (state.me.second_factor_required) {
    renderChrome(null);
    document.title = "Two-factor authentication · Fleet";
    return enrolView(page, { me: state.me, onDone: afterSignIn, signOut });
  }
  const found = match(location.hash, state.me.role);
  if (!found) {
    location.replace(`#/${homeOf(state.me.role)}`);
    return undefined;
  }
  renderChrome(found.route);
  startLive();
  document.title = `${found.route.title} · Fleet`;
  const context = { me: state.me, signOut, refreshMe: loadMe, signedOut: () => signedOut(null) };
  try {
    const refresh = await found.route.view(page, found.params, context);
    if (mine === navigation && navigated) focusHeading();
    if (mine !== navigation || typeof refresh !== "function") return undefined;
    await refresh().catch((error) => notify(error.text || error.message, "error"));
    if (mine === navigation) keepFresh(refresh);
  } catch (error) {
    if (mine === navigation) fill(page, loadError(error));
  }
  return undefined;
}

function loadError(error) {
  const text = error.status === 404 ? "Not found (or not yours to see)." : error.text || error.message;
  return h("div", { class: "card", role: "alert" }, h("h1", {}, "This page could not be loaded"), h("p", {}, text));
}

/** Keyboard and screen-reader users land on the page's heading (the skip link, and each
 * navigation to another page). */
export function focusHeading() {
  const heading = main.querySelector("h1");
  if (!heading) return main.focus();
  heading.setAttribute("tabindex", "-1");
  return heading.focus();
}

let navigated = false;
document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault(); // the address names the view: "#main" is not a route
  focusHeading();
});

whenSignedOut(() => signedOut("Your session has ended: please sign in again."));
let shownHash = location.hash;
let revert = false;
window.addEventListener("hashchange", () => {
  if (revert) {
    revert = false; // the address put back after a refused leave
    return;
  }
  if (!mayLeave()) {
    revert = true;
    location.hash = shownHash;
    return;
  }
  setLeaveGuard(null);
  shownHash = location.hash;
  navigated = true;
  show();
});
await loadMe();
show();
