// User names for the ids the admin API gives (created by, granted by, audit actors).

import { get, seg } from "../api.js";
import { h } from "../dom.js";

/** id -> username of up to 500 users (the API's largest page). */
export async function userNames() {
  const found = await get("/api/admin/users", { limit: 500 });
  return new Map(found.items.map((u) => [u.id, u.username]));
}

/** A link to the user's page when his name is known, else the id as it is. */
export function userLink(names, id) {
  if (!id) return "—";
  const name = names.get(id);
  return name ? h("a", { href: `#/admin/users/${seg(id)}` }, name) : h("span", { class: "mono" }, id);
}
