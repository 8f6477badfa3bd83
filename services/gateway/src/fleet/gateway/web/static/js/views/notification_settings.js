// The account page's notification settings: which channels (in-app, e-mail, webhook) each
// kind of notification goes to, and my webhook URL (GET/PUT /api/notifications/preferences).
// The notify service refuses a webhook URL that is not http(s) or points at a private address.

import { get, put } from "../api.js";
import { h } from "../dom.js";
import { words } from "../format.js";
import { actionForm, field, formError, notify } from "../ui.js";

const CHANNELS = ["in_app", "email", "webhook"];

function box(kind, channel, checked) {
  return h("input", { type: "checkbox", name: `${kind}.${channel}`, checked, "aria-label": `${words(kind)}: ${words(channel)}` });
}

function grid(prefs) {
  const rows = ["default", ...prefs.kinds_known].map((kind) => {
    const choice = kind === "default" ? prefs.default : prefs.kinds[kind] || prefs.default;
    return h("tr", {}, h("th", { scope: "row" }, kind === "default" ? "Any other kind" : words(kind)), CHANNELS.map((c) => h("td", {}, box(kind, c, choice[c]))));
  });
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "group", "aria-label": "Notification channels" },
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Kind"), CHANNELS.map((c) => h("th", { scope: "col" }, words(c))))), h("tbody", {}, rows)),
  );
}

function wanted(form, prefs) {
  const choice = (kind) => Object.fromEntries(CHANNELS.map((c) => [c, form.elements[`${kind}.${c}`].checked]));
  const kinds = Object.fromEntries(prefs.kinds_known.map((kind) => [kind, choice(kind)]));
  const url = form.elements.webhook_url.value.trim();
  return { default: choice("default"), kinds, webhook_url: url || null };
}

/** The card's content: loaded, then a form that replaces my preferences. */
export function notificationSettings() {
  const holder = h("div", { class: "notification-settings" }, h("p", { class: "loading" }, "Loading…"));
  get("/api/notifications/preferences")
    .then((prefs) => {
      const form = actionForm(
        { "aria-label": "Notification settings" },
        [
          grid(prefs),
          field({ name: "webhook_url", label: "Webhook URL", type: "url", value: prefs.webhook_url || "", hint: "https://… (Slack, Discord, Telegram bot or your own receiver); signed with HMAC-SHA256" }),
          h("button", { type: "submit", class: "btn btn-primary" }, "Save notification settings"),
          formError(),
        ],
        async (f) => {
          await put("/api/notifications/preferences", wanted(f, prefs));
          notify("Notification settings saved.");
        },
      );
      holder.replaceChildren(form);
    })
    .catch((error) => holder.replaceChildren(h("p", { class: "form-error" }, error.text || error.message)));
  return holder;
}
