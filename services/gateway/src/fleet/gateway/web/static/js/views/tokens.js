// The signed-in user's personal access tokens (GET/POST/DELETE /api/tokens): each has a
// scope and an expiry (90 days at most by default), is shown once when created, and can
// be revoked at any time. A password change, a role change or "sign out everywhere"
// revokes them all.

import { del, get, post, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { actionForm, badge, button, confirmAction, field, formError, notify, region, table } from "../ui.js";

const MAX_DAYS = 90;

// the scopes each role may give a token (the gateway's policy refuses any other)
function scopes(role) {
  const choices = [{ value: "read", label: "read — GET requests only" }];
  if (role !== "viewer") choices.push({ value: "write", label: "write — everything but the admin API" });
  if (role === "admin") choices.push({ value: "admin", label: "admin — also the admin API" });
  return choices;
}

function state(token) {
  if (token.revoked) return badge("revoked");
  if (token.expires_at && new Date(token.expires_at) <= new Date()) return badge("expired");
  return badge("active");
}

export function tokensCard(me) {
  const shown = h("div", { class: "token-shown", "aria-live": "polite" });
  const list = region((tokens) =>
    table({
      caption: "My access tokens",
      empty: "No access token.",
      columns: [
        { label: "Name", cell: (t) => t.name },
        { label: "Scope", cell: (t) => t.scope },
        { label: "Created", cell: (t) => time(t.created_at) },
        { label: "Expires", cell: (t) => (t.expires_at ? time(t.expires_at) : "—") },
        { label: "State", cell: state },
        {
          label: "Actions",
          cell: (t) => (t.revoked ? "" : button("Revoke", () => revoke(t), "danger", { "aria-label": `Revoke ${t.name}` })),
        },
      ],
      rows: tokens,
    }),
  );
  const refresh = async () => list.update(await get("/api/tokens"));
  const revoke = async (token) => {
    if (!(await confirmAction(`Revoke the token "${token.name}"? Programs using it stop working.`, "Revoke"))) return;
    await del(`/api/tokens/${seg(token.token_id)}`);
    notify(`Token "${token.name}" revoked.`);
    await refresh();
  };
  const form = actionForm(
    { class: "token-form", "aria-label": "Create an access token" },
    [
      field({ name: "name", label: "Name", required: true, maxlength: 64, hint: "What uses it, e.g. “ci deploy”." }),
      field({ name: "scope", label: "Scope", options: scopes(me.role), value: "read" }),
      field({
        name: "expires_in_days",
        label: "Expires after (days)",
        type: "number",
        min: 1,
        max: MAX_DAYS,
        value: String(MAX_DAYS),
        hint: `1 to ${MAX_DAYS} days.`,
      }),
      formError(),
      h("button", { type: "submit", class: "btn btn-primary" }, "Create token"),
    ],
    async (el) => {
      const days = Number.parseInt(el.elements.expires_in_days.value, 10);
      const answer = await post("/api/tokens", {
        name: el.elements.name.value.trim(),
        scope: el.elements.scope.value,
        expires_in_days: Number.isNaN(days) ? null : days,
      });
      fill(
        shown,
        h("p", {}, `Copy the token "${answer.name}" now: it is shown only once (expires ${time(answer.expires_at)}).`),
        h("code", { class: "token-value" }, answer.token),
      );
      el.reset();
      notify(`Token "${answer.name}" created.`);
      await refresh();
    },
  );
  refresh();
  return [h("p", { class: "muted" }, "For programs using the JSON API: send Authorization: Bearer <token>."), form, shown, list];
}
