// The admin's list of users (search, role and state filters, pages) and the form that
// creates one (POST /api/admin/users).

import { get, post, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { actionForm, badge, card, field, filterForm, formError, heading, notify, pager, region, table } from "../ui.js";

const PAGE = 25;
const ROLES = [
  { value: "trader", label: "trader" },
  { value: "viewer", label: "viewer" },
  { value: "admin", label: "admin" },
];

function state(u) {
  return [u.active ? badge("active") : badge("inactive"), u.locked && badge("locked")];
}

function usersTable(users) {
  return table({
    caption: "Users",
    rows: users,
    empty: "No user matches.",
    columns: [
      { label: "Username", cell: (u) => h("a", { href: `#/admin/users/${seg(u.id)}` }, u.username) },
      { label: "Email", cell: (u) => u.email },
      { label: "Role", cell: (u) => badge(u.role) },
      { label: "State", cell: state },
      { label: "Last sign-in", cell: (u) => time(u.last_login_at) },
      { label: "Created", cell: (u) => time(u.created_at) },
    ],
  });
}

function createForm(onCreated) {
  return actionForm(
    { class: "stack", "aria-label": "Create a user", autocomplete: "off" },
    [
      field({ name: "username", label: "Username", autocomplete: "off", spellcheck: "false" }),
      field({ name: "email", label: "Email", type: "email", autocomplete: "off" }),
      field({
        name: "password",
        label: "Initial password",
        type: "password",
        autocomplete: "new-password",
        hint: "At least 12 characters; tell it to the user over a safe channel.",
      }),
      field({ name: "role", label: "Role", options: ROLES, value: "trader" }),
      formError(),
      h("button", { type: "submit", class: "btn btn-primary" }, "Create user"),
    ],
    async (form) => {
      const { username, email, password, role } = form.elements;
      const body = { username: username.value.trim(), email: email.value.trim(), password: password.value, role: role.value };
      let created;
      try {
        created = await post("/api/admin/users", body);
      } finally {
        password.value = "";
      }
      form.reset();
      notify(`User ${created.username} created (${created.role}).`);
      await onCreated(created);
    },
  );
}

export function usersView(page) {
  const query = { offset: 0 };
  const list = region((found) => [usersTable(found.items), pager(found, go)]);

  async function refresh() {
    list.update(await get("/api/admin/users", { ...query, limit: PAGE }));
  }
  async function go(offset) {
    query.offset = offset;
    await refresh();
  }

  const filters = filterForm(
    "Find users",
    [
      field({ name: "q", label: "Search", type: "search", placeholder: "name or email" }),
      field({ name: "role", label: "Role", options: [{ value: "", label: "any" }, ...ROLES], value: "" }),
      field({
        name: "active",
        label: "State",
        options: [
          { value: "", label: "any" },
          { value: "true", label: "active" },
          { value: "false", label: "inactive" },
        ],
        value: "",
      }),
    ],
    async (values) => {
      Object.assign(query, values, { offset: 0 });
      await refresh();
    },
  );

  fill(
    page,
    heading("Users"),
    h("div", { class: "grid grid-wide" }, card("Every user", filters, list), card("Create a user", createForm(refresh))),
  );
  return refresh;
}
