// The bell in the header: my unread notifications (GET /api/notifications), updated live
// by the socket's "notification" frames (a frame counts at once; the count is read again
// a moment later, once the read model has the notification) and after marking read.

import { get } from "./api.js";
import { h } from "./dom.js";
import { onFrame } from "./live.js";

const RECOUNT_MS = 600;
const bell = { el: null, count: 0, stop: null, recount: null };

function draw() {
  if (!bell.el) return;
  const count = bell.count;
  bell.el.dataset.unread = String(count);
  bell.el.querySelector(".bell-count").textContent = count > 99 ? "99+" : String(count);
  bell.el.querySelector(".bell-count").hidden = count === 0;
  bell.el.setAttribute("aria-label", count === 1 ? "1 unread notification" : `${count} unread notifications`);
}

/** Read the unread count again (after marking read, or after a frame). */
export async function recount() {
  try {
    const page = await get("/api/notifications", { unread: "true", limit: "1" });
    bell.count = page.unread;
    draw();
  } catch {
    // the page itself reports a failing API; the bell keeps its last count
  }
}

function received(frame) {
  if (frame.type !== "notification") return;
  bell.count += 1;
  draw();
  clearTimeout(bell.recount);
  bell.recount = setTimeout(recount, RECOUNT_MS);
}

/** The bell element for the header (one per page; the previous one stops listening). */
export function bellButton() {
  bell.stop?.();
  bell.el = h(
    "a",
    { href: "#/notifications", class: "bell", id: "bell", title: "Notifications" },
    h("span", { class: "bell-icon", "aria-hidden": "true" }, "🔔"),
    h("span", { class: "bell-count", "aria-hidden": "true" }, "0"),
  );
  draw();
  bell.stop = onFrame(received);
  recount();
  return bell.el;
}
