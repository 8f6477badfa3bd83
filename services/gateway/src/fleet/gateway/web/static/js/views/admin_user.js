// One user, for an admin: his account (role, activate / deactivate, unlock, reset
// password, delete), a viewer's grants, a trader's dashboard and bot.
//
// Not refreshed by a timer: the API records every view of a user and of a dashboard in
// the audit log, so polling would write an audit entry every few seconds. The page
// reloads after each action and on its Refresh button.

import { del, get, post, put, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { actionForm, badge, button, card, confirmAction, facts, field, formError, heading, notify } from "../ui.js";
import { userLink, userNames } from "./admin_names.js";
import { grantsSection, tradingSection } from "./admin_user_trading.js";

const ROLES = ["trader", "viewer", "admin"];

function accountFacts(user, names) {
  return facts([
    ["Email", user.email],
    ["Role", badge(user.role)],
    ["State", [user.active ? badge("active") : badge("inactive"), user.locked && badge("locked")]],
    user.locked_until && ["Locked until", time(user.locked_until)],
    ["Failed sign-ins", String(user.failed_logins)],
    ["Last sign-in", time(user.last_login_at)],
    ["Created", time(user.created_at)],
    user.created_by && ["Created by", userLink(names, user.created_by)],
  ]);
}

function roleForm(user, reload) {
  return actionForm(
    { class: "inline-form", "aria-label": "Change role" },
    [
      field({ name: "role", label: "Role", options: ROLES, value: user.role }),
      h("button", { type: "submit", class: "btn btn-secondary" }, "Change role"),
      formError(),
    ],
    async (form) => {
      await put(`/api/admin/users/${seg(user.id)}/role`, { role: form.elements.role.value });
      notify(`${user.username} is now a ${form.elements.role.value}.`);
      await reload();
    },
  );
}

function resetForm(user) {
  return actionForm(
    { class: "inline-form", "aria-label": "Reset password", autocomplete: "off" },
    [
      field({ name: "new_password", label: "New password", type: "password", autocomplete: "new-password", hint: "He must change it at his next sign-in." }),
      h("button", { type: "submit", class: "btn btn-secondary" }, "Reset password"),
      formError(),
    ],
    async (form) => {
      const input = form.elements.new_password;
      try {
        await post(`/api/admin/users/${seg(user.id)}/password`, { new_password: input.value });
      } finally {
        input.value = "";
      }
      notify(`Password of ${user.username} reset; his sessions ended.`);
    },
  );
}

function stateButtons(user, reload) {
  const path = `/api/admin/users/${seg(user.id)}`;
  const activate = async () => {
    if (user.active && !(await confirmAction(`Deactivate ${user.username}? His sessions end at once.`, "Deactivate"))) return;
    await put(`${path}/active`, { active: !user.active });
    notify(`${user.username} is ${user.active ? "deactivated" : "active again"}.`);
    await reload();
  };
  const unlock = async () => {
    await post(`${path}/unlock`);
    notify(`${user.username} is unlocked.`);
    await reload();
  };
  return h(
    "div",
    { class: "buttons" },
    button(user.active ? "Deactivate" : "Activate", activate, user.active ? "secondary" : "primary"),
    user.locked && button("Unlock", unlock, "primary"),
  );
}

/** Delete, away from Deactivate: its own card at the foot of the page, confirmed. */
function dangerZone(user) {
  const remove = async () => {
    if (!(await confirmAction(`Delete ${user.username} for good? His bot stops, his BingX keys are destroyed and his personal data is erased. This cannot be undone (Deactivate can).`, "Delete user"))) return;
    await del(`/api/admin/users/${seg(user.id)}`);
    notify(`${user.username} deleted.`);
    location.hash = "#/admin/users";
  };
  const zone = card(
    "Danger zone",
    h("p", { class: "muted" }, "Deleting a user cannot be undone. To stop him signing in for now, deactivate him instead."),
    h("div", { class: "buttons" }, button("Delete user", remove, "danger")),
  );
  zone.classList.add("danger-zone");
  return zone;
}

function accountCard(user, names, self, reload) {
  const about = accountFacts(user, names);
  if (self) return card("Account", about, h("p", { class: "muted" }, "This is you: change your own password in My account."));
  return card("Account", about, stateButtons(user, reload), roleForm(user, reload), resetForm(user));
}

export async function userView(page, { id }, { me }) {
  const extra = h("div", { class: "column" });
  async function reload() {
    const [user, names] = await Promise.all([get(`/api/admin/users/${seg(id)}`), userNames()]);
    const refresh = button("Refresh", reload);
    fill(
      page,
      heading(user.username, badge(user.role), refresh),
      h(
        "p",
        { class: "links" },
        h("a", { href: "#/admin/users" }, "← All users"),
        h("a", { href: `#/admin/audit?target=${seg(user.id)}` }, "Audit log of this user"),
      ),
      accountCard(user, names, user.id === me.user_id, reload),
      extra,
      user.id !== me.user_id && dangerZone(user),
    );
    if (user.role === "viewer") fill(extra, await grantsSection(user, names));
    else if (user.role === "trader") fill(extra, await tradingSection(user, me));
    else fill(extra);
  }
  await reload();
}
