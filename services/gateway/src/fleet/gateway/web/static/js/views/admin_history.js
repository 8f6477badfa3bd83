// An admin reads one trader's whole history, read-only: every closed trade, session and
// risk decision, newest first, page by page (a cursor: rows arriving meanwhile never
// shift a page), each list with its CSV download. The first page of each is audited.

import { seg } from "../api.js";
import { h } from "../dom.js";
import { csvLink } from "../download.js";
import { card } from "../ui.js";
import { cursorList } from "./cursor_list.js";
import { decisionList } from "./decision_list.js";
import { sessionsTable, tradesTable } from "./tables.js";

const PAGE = 20;

export async function historySection(trader) {
  const base = `/api/admin/users/${seg(trader.id)}`;
  const lists = [
    ["Every closed trade", "trades", (items) => tradesTable(items, "No closed trade.")],
    ["Every trading session", "sessions", (items) => sessionsTable(items)],
  ];
  const cards = [];
  for (const [title, kind, render] of lists) {
    const list = cursorList(`${base}/${kind}`, render, { pageSize: PAGE });
    await list.show(undefined);
    cards.push(card(title, list.holder, csvLink(`${base}/${kind}.csv`)));
  }
  // decisions as the trader reads them: routine skips folded, a type filter, cursor pages
  const download = csvLink(`${base}/decisions.csv`);
  const decisions = decisionList(`${base}/decisions`, { pageSize: PAGE, changed: (values) => download.update(values) });
  await decisions.refresh();
  cards.push(card("Every risk decision", decisions.filters, decisions.list, download));
  return [h("h2", { class: "section-title" }, "History"), ...cards];
}
