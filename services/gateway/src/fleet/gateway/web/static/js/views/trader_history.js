// The trader's history: closed trades (paginated, by symbol and close date), trading
// sessions, statistics, and the account's income (funding, fees, transfers; cursor pages).

import { get } from "../api.js";
import { fill } from "../dom.js";
import { csvLink } from "../download.js";
import { dayStart } from "../format.js";
import { card, facts, field, filterForm, heading, pager, region } from "../ui.js";
import { cursorList } from "./cursor_list.js";
import { incomeTable, sessionsTable, statsFacts, tradesTable } from "./tables.js";

const PAGE = 20;

export function historyView(page) {
  const trades = { offset: 0, query: {} };
  const sessions = { offset: 0 };
  const tradeList = region((found) => [tradesTable(found.items, "No closed trade matches."), pager(found, goTrades)]);
  const sessionList = region((found) => [sessionsTable(found.items), pager(found, goSessions)]);
  const stats = region((found) => facts(statsFacts(found)));
  const tradesCsv = csvLink("/api/trades.csv");
  const income = cursorList("/api/income", incomeTable, { pageSize: PAGE });

  async function loadTrades() {
    tradeList.update(await get("/api/trades", { ...trades.query, limit: PAGE, offset: trades.offset }));
  }
  async function loadSessions() {
    sessionList.update(await get("/api/sessions", { limit: PAGE, offset: sessions.offset }));
  }
  async function goTrades(offset) {
    trades.offset = offset;
    await loadTrades();
  }
  async function goSessions(offset) {
    sessions.offset = offset;
    await loadSessions();
  }
  async function refresh() {
    const [found] = await Promise.all([get("/api/stats"), loadTrades(), loadSessions(), income.reload()]);
    stats.update(found);
  }

  const filters = filterForm(
    "Filter trades",
    [
      field({ name: "symbol", label: "Symbol", placeholder: "BTC-USDT", autocapitalize: "characters", spellcheck: "false" }),
      field({ name: "since", label: "Closed from", type: "date" }),
      field({ name: "until", label: "Closed until", type: "date" }),
    ],
    async (values) => {
      trades.query = {
        symbol: values.symbol.toUpperCase(),
        since: dayStart(values.since),
        until: dayStart(values.until, 1),
      };
      trades.offset = 0;
      tradesCsv.update(trades.query);
      await loadTrades();
    },
  );

  fill(
    page,
    heading("Trades & sessions"),
    card("Statistics", stats),
    card("Closed trades", filters, tradeList, tradesCsv),
    card("Trading sessions", sessionList, csvLink("/api/sessions.csv")),
    card("Income (funding, fees, transfers)", income.holder, csvLink("/api/income.csv")),
  );
  return refresh;
}
