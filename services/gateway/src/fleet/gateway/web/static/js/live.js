// Live updates: one WebSocket per tab (GET /api/ws) tells the visible view when something
// of its user changed; the view's refresh() then re-reads its cards (debounced, one at a
// time). Only while the socket is down does the view poll every few seconds. Reconnects
// back off and resume after the last frame seen (?after=<seq>), so nothing is missed.
// A hidden tab keeps no socket and polls nothing (it catches up when shown again).

export const REFRESH_SECONDS = 5;
const DEBOUNCE_MS = 150;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
const CLOSE_REVOKED = 4001;
const CLOSE_TOO_FAR = 4009;
// frames that refresh no view (a signal's effect arrives as its own decision frames; a
// notification updates the header's bell, bell.js)
const NOT_SHOWN = new Set(["signal", "notification"]);

let current = null;
let timer = null;
let generation = 0;
let running = false;
let again = false;

const socket = { ws: null, open: false, wanted: false, lastSeq: null, retryMs: FIRST_RETRY_MS, retry: null };
const listeners = new Set();

function indicator() {
  return document.getElementById("live");
}

function showState(state) {
  const element = indicator();
  if (!element) return;
  element.hidden = state === "off";
  element.dataset.state = state;
  element.textContent = state === "live" ? "LIVE" : "reconnecting…";
  element.title = state === "live" ? "Updates arrive as they happen" : "Live updates are down: refreshing every 5 s";
}

function schedule() {
  clearTimeout(timer);
  if (current && !document.hidden && !socket.open) timer = setTimeout(tick, REFRESH_SECONDS * 1000);
}

async function tick() {
  if (running) {
    again = true; // a frame came in while refreshing: refresh once more afterwards
    return;
  }
  running = true;
  const mine = generation;
  try {
    await current?.();
  } catch {
    // a failed refresh (e.g. the gateway restarting) is retried at the next tick or frame
  } finally {
    running = false;
  }
  if (mine !== generation) return;
  if (again) {
    again = false;
    tick();
  } else schedule();
}

let debounce = null;
// a frame came while no view was registered (its first load was still running): the view
// refreshes once more when it registers, or that frame's change would wait for the next
let missed = false;
function refreshSoon() {
  clearTimeout(debounce);
  debounce = setTimeout(() => {
    if (current) tick();
    else missed = true;
  }, DEBOUNCE_MS);
}

/** Keep `refresh` running for the current view (replaces the previous view's). */
export function keepFresh(refresh) {
  generation += 1;
  current = refresh;
  schedule();
  if (missed) {
    missed = false;
    refreshSoon();
  }
}

export function stopRefreshing() {
  generation += 1;
  current = null;
  clearTimeout(timer);
}

/** Call `listener(frame)` on every live frame (returns a function that stops it). */
export function onFrame(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function address() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const after = socket.lastSeq === null ? "" : `?after=${socket.lastSeq}`;
  return `${scheme}//${location.host}/api/ws${after}`;
}

function connect() {
  clearTimeout(socket.retry);
  if (!socket.wanted || document.hidden || socket.ws) return;
  const ws = new WebSocket(address());
  socket.ws = ws;
  ws.addEventListener("open", () => {
    socket.open = true;
    socket.retryMs = FIRST_RETRY_MS;
    clearTimeout(timer);
    showState("live");
    refreshSoon(); // what changed while the socket was down
  });
  ws.addEventListener("message", (event) => received(event.data));
  ws.addEventListener("close", (event) => closed(ws, event.code));
}

function received(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof frame.seq === "number") socket.lastSeq = Math.max(socket.lastSeq ?? 0, frame.seq);
  for (const listener of listeners) listener(frame);
  if (!NOT_SHOWN.has(frame.type)) refreshSoon();
}

function closed(ws, code) {
  if (socket.ws !== ws) return;
  socket.ws = null;
  socket.open = false;
  if (!socket.wanted) return showState("off");
  showState("reconnecting");
  schedule(); // poll while the socket is down
  if (code === CLOSE_TOO_FAR) socket.lastSeq = null; // too far behind: reload, then live
  if (code === CLOSE_REVOKED) {
    refreshSoon(); // the API answers 401 and the page signs out (no reconnect before)
    socket.retryMs = MAX_RETRY_MS;
  }
  if (document.hidden) return undefined;
  socket.retry = setTimeout(connect, socket.retryMs);
  socket.retryMs = Math.min(socket.retryMs * 2, MAX_RETRY_MS);
  return undefined;
}

/** Open the tab's socket (once signed in). */
export function startLive() {
  socket.wanted = true;
  connect();
}

/** Close it (signed out). */
export function stopLive() {
  socket.wanted = false;
  socket.lastSeq = null;
  clearTimeout(socket.retry);
  socket.ws?.close(1000);
  socket.ws = null;
  socket.open = false;
  showState("off");
}

document.addEventListener("visibilitychange", () => {
  clearTimeout(timer);
  if (document.hidden) {
    // no socket for a hidden tab: an open socket keeps its session from idling out
    socket.ws?.close(1000);
    return;
  }
  connect();
  if (current) tick();
});

/** Whether the tab's socket is open (live frames arrive). */
export function isLive() {
  return socket.open;
}
