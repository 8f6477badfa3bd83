// An admin reads one trader's whole history, read-only: every closed trade, session and
// risk decision, newest first, page by page (a cursor: rows arriving meanwhile never
// shift a page), each list with its CSV download. The first page of each is audited.

import { get, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { button, card } from "../ui.js";
import { decisionsTable, sessionsTable, tradesTable } from "./tables.js";

const PAGE = 20;

/** One list: "Newer" back along the cursors seen, "Older" to the next page. */
function cursorList(path, render) {
  const holder = h("div", { class: "column" });
  const seen = []; // the `before` of each newer page (undefined: the newest)
  let current;
  async function show(before) {
    const page = await get(path, { limit: PAGE, before });
    current = before;
    const toOlder = () => {
      seen.push(current);
      return show(page.next_before);
    };
    const older = button("Older", toOlder, "secondary", { disabled: !page.next_before });
    const newer = button("Newer", () => show(seen.pop()), "secondary", { disabled: seen.length === 0 });
    fill(holder, render(page.items), h("nav", { class: "pager", "aria-label": "Pages" }, newer, older));
  }
  return { holder, show };
}

export async function historySection(trader) {
  const base = `/api/admin/users/${seg(trader.id)}`;
  const lists = [
    ["Every closed trade", "trades", (items) => tradesTable(items, "No closed trade.")],
    ["Every trading session", "sessions", (items) => sessionsTable(items)],
    ["Every risk decision", "decisions", (items) => decisionsTable(items, "No decision.")],
  ];
  const cards = [];
  for (const [title, kind, render] of lists) {
    const list = cursorList(`${base}/${kind}`, render);
    await list.show(undefined);
    cards.push(card(title, list.holder, csvLink(`${base}/${kind}.csv`)));
  }
  return [h("h2", { class: "section-title" }, "History"), ...cards];
}
