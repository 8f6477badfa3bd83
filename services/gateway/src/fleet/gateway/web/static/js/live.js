// Live updates: the visible view's refresh() runs every few seconds, one at a time, and
// not at all while the tab is hidden (it runs at once when the tab shows again).

export const REFRESH_SECONDS = 5;

let current = null;
let timer = null;
let generation = 0;
let running = false;

function schedule() {
  clearTimeout(timer);
  if (current && !document.hidden) timer = setTimeout(tick, REFRESH_SECONDS * 1000);
}

async function tick() {
  if (running) return;
  running = true;
  const mine = generation;
  try {
    await current?.();
  } catch {
    // a failed refresh (e.g. the gateway restarting) is retried at the next tick
  } finally {
    running = false;
  }
  if (mine === generation) schedule();
}

/** Keep `refresh` running for the current view (replaces the previous view's). */
export function keepFresh(refresh) {
  generation += 1;
  current = refresh;
  schedule();
}

export function stopRefreshing() {
  generation += 1;
  current = null;
  clearTimeout(timer);
}

document.addEventListener("visibilitychange", () => {
  clearTimeout(timer);
  if (!document.hidden && current) tick();
});
