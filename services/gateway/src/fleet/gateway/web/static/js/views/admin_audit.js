// The audit log, newest first (GET /api/admin/audit), filtered by actor, target, action
// (exact, or a prefix ending in ".") and time.

import { get } from "../api.js";
import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { dayStart, time } from "../format.js";
import { badge, card, field, filterForm, heading, pager, pairs, region, table } from "../ui.js";
import { userLink, userNames } from "./admin_names.js";

const PAGE = 50;

function who(names, id, role) {
  const link = userLink(names, id);
  return role ? [link, " ", h("span", { class: "muted" }, `(${role})`)] : link;
}

function auditTable(entries, names) {
  return table({
    caption: "Audit entries",
    rows: entries,
    empty: "No entry matches.",
    columns: [
      { label: "When", cell: (e) => time(e.occurred_at) },
      { label: "Action", cell: (e) => h("code", {}, e.action) },
      { label: "Outcome", cell: (e) => badge(e.outcome) },
      { label: "Who", cell: (e) => who(names, e.actor_id, e.actor_role) },
      { label: "On", cell: (e) => who(names, e.target_user_id) },
      { label: "From", cell: (e) => h("span", { class: "mono" }, e.ip || "—") },
      { label: "Details", cell: (e) => pairs(e.details) },
    ],
  });
}

function userChoice(name, label, names, chosen) {
  const people = [...names].sort((a, b) => a[1].localeCompare(b[1]));
  const options = [{ value: "", label: "anyone" }, ...people.map(([id, username]) => ({ value: id, label: username }))];
  return field({ name, label, options, value: chosen || "" });
}

/** Filters given in the address: #/admin/audit?target=<user id>. */
function linkedFilters() {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  return Object.fromEntries(["actor", "target", "action"].filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
}

/** The query without its paging: what a download keeps. */
function filtersOf({ offset: _offset, ...filters }) {
  return filters;
}

export async function auditView(page) {
  const names = await userNames();
  const query = { offset: 0, ...linkedFilters() };
  const list = region((found) => [auditTable(found.items, names), pager(found, go)]);
  const download = csvLink("/api/admin/audit.csv", filtersOf(query));

  async function refresh() {
    list.update(await get("/api/admin/audit", { ...query, limit: PAGE }));
  }
  async function go(offset) {
    query.offset = offset;
    await refresh();
  }

  const filters = filterForm(
    "Filter the audit log",
    [
      field({ name: "action", label: "Action", placeholder: "admin. or auth.login", spellcheck: "false", value: query.action }),
      userChoice("actor", "Who", names, query.actor),
      userChoice("target", "On user", names, query.target),
      field({ name: "since", label: "From", type: "date" }),
      field({ name: "until", label: "Until", type: "date" }),
    ],
    async (values) => {
      Object.assign(query, values, { since: dayStart(values.since), until: dayStart(values.until, 1), offset: 0 });
      download.update(filtersOf(query));
      await refresh();
    },
  );

  fill(page, heading("Audit log"), card("Who did what, when, from where", filters, list, download));
  return refresh;
}
