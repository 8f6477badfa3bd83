// My notifications (GET /api/notifications): newest first, unread ones marked, each with
// how its e-mail / webhook delivery ended; mark one or all read (POST /api/notifications/read).

import { get, post } from "../api.js";
import { h } from "../dom.js";
import { time, words } from "../format.js";
import { recount } from "../bell.js";
import { badge, button, card, heading, notify, region } from "../ui.js";

const PAGE = 50;

function deliveries(item) {
  return item.deliveries.map((d) =>
    h("span", { class: ["badge", d.outcome === "failed" ? "badge-failed" : "badge-ok"], title: d.error || d.outcome }, `${words(d.channel)}: ${d.outcome}`),
  );
}

function entry(item, markOne) {
  return h(
    "li",
    { class: ["notification", !item.read && "notification-unread"], "data-id": item.notification_id },
    h("div", { class: "notification-head" }, h("strong", {}, item.title), " ", badge(item.kind), item.read ? "" : badge("unread")),
    h("p", {}, item.body),
    h("p", { class: "muted" }, time(item.created_at), " ", deliveries(item)),
    item.read ? "" : button("Mark read", () => markOne(item.notification_id)),
  );
}

export function notificationsView(page) {
  const state = { before: [], cursor: null, unreadOnly: false };
  const list = region((data) => [
    data.items.length ? h("ul", { class: "notifications" }, data.items.map((item) => entry(item, markOne))) : h("p", { class: "empty" }, "No notifications."),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      button("Newer", () => go(state.before.pop() ?? null, false), "secondary", { disabled: !state.before.length }),
      button("Older", () => go(data.next_cursor, true), "secondary", { disabled: data.next_cursor === null }),
    ),
  ]);
  const count = h("p", { class: "muted", role: "status" });

  async function refresh() {
    const query = { limit: String(PAGE), unread: String(state.unreadOnly) };
    if (state.cursor !== null) query.before = String(state.cursor);
    const data = await get("/api/notifications", query);
    count.textContent = `${data.unread} unread`;
    list.update(data);
  }
  async function go(cursor, older) {
    if (older) state.before.push(state.cursor);
    state.cursor = cursor;
    await refresh();
  }
  async function mark(body) {
    await post("/api/notifications/read", body);
    await Promise.all([refresh(), recount()]);
  }
  async function markOne(id) {
    await mark({ ids: [id] });
  }
  const unreadOnly = h("input", { type: "checkbox", id: "unread-only" });
  unreadOnly.addEventListener("change", () => {
    state.unreadOnly = unreadOnly.checked;
    state.before = [];
    state.cursor = null;
    refresh().catch((error) => notify(error.text || error.message, "error"));
  });
  page.append(
    heading("Notifications", button("Mark all read", () => mark({ all: true }), "primary")),
    card("", h("div", { class: "field field-check" }, unreadOnly, h("label", { for: "unread-only" }, "Unread only")), count, list),
  );
  return refresh;
}
