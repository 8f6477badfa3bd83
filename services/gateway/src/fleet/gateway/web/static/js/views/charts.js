// The trader's charts, drawn with TradingView's lightweight-charts (installed from the npm
// registry by the project's set-up into /ui/vendor/, served same-origin):
//  - a price chart per traded symbol: the strategy's candles (GET /api/market/candles),
//    its signals (a +DI / -DI cross once ADX exists) as markers, the trader's entries and
//    exits with their prices as markers, the open position's entry and stop as price
//    lines, and ADX / +DI / -DI in a pane below;
//  - the equity curve with its drawdown shaded below, and daily PnL bars (GET …/equity).
// Each chart element carries what it draws as data-* counts (the UI tests read them).

import { get } from "../api.js";
import { h } from "../dom.js";
import { card } from "../ui.js";

// loaded when first drawn, so a missing library (set-up not run) costs the charts only
const LIBRARY = "/ui/vendor/lightweight-charts.standalone.production.mjs";
let library = null;
function charting() {
  library ??= import(LIBRARY).catch((error) => {
    library = null;
    throw error;
  });
  return library;
}

const UP = "#1a7f37";
const DOWN = "#cf222e";
const CANDLES = 200;
// the forming candle moves between the trader's own frames too: re-read the candles this
// often while the charts are on the page and the tab is visible
const CANDLE_REFRESH_MS = 10_000;

const seconds = (iso) => Math.floor(new Date(iso).getTime() / 1000);
const num = (text) => (text === null || text === undefined ? null : Number(text));

function dark() {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches;
}

function newChart({ createChart }, element, height) {
  const text = dark() ? "#d1d4dc" : "#1f2328";
  const grid = dark() ? "#2a2e39" : "#eaeef2";
  const chart = createChart(element, {
    height,
    autoSize: true,
    layout: { background: { color: "transparent" }, textColor: text, attributionLogo: false },
    grid: { vertLines: { color: grid }, horzLines: { color: grid } },
    timeScale: { timeVisible: true, secondsVisible: false },
  });
  // all the data in view whenever the box gets its width (first shown, a phone rotated)
  const fit = () => requestAnimationFrame(() => chart.timeScale().fitContent());
  new ResizeObserver(fit).observe(element);
  let fitted = false;
  chart.fitFirstData = (count) => {
    if (fitted || !count) return;
    fitted = true;
    fit();
  };
  return chart;
}

/** The strategy's signals: a +DI / -DI cross on a closed candle once ADX exists. */
export function signalMarkers(candles) {
  const markers = [];
  for (let i = 1; i < candles.length; i += 1) {
    const [before, now] = [candles[i - 1], candles[i]];
    if (!now.closed || now.adx === null || before.plus_di === null || now.plus_di === null) continue;
    const was = num(before.plus_di) - num(before.minus_di);
    const is = num(now.plus_di) - num(now.minus_di);
    if (was <= 0 && is > 0) markers.push({ time: seconds(now.open_time), position: "belowBar", color: UP, shape: "arrowUp", text: "signal ↑" });
    if (was >= 0 && is < 0) markers.push({ time: seconds(now.open_time), position: "aboveBar", color: DOWN, shape: "arrowDown", text: "signal ↓" });
  }
  return markers;
}

/** The trader's entries and exits of `symbol`, with prices, snapped to the candles shown. */
export function tradeMarkers(symbol, trades, positions, firstTime) {
  const markers = [];
  const mine = (t) => t.symbol === symbol;
  for (const t of [...trades.filter(mine), ...positions.filter(mine)]) {
    const long = t.direction === "long" || t.position_side === "LONG";
    const at = seconds(t.opened_at);
    if (at >= firstTime) markers.push({ time: at, position: long ? "belowBar" : "aboveBar", color: "#0969da", shape: long ? "arrowUp" : "arrowDown", text: `entry ${t.entry_price}` });
    if (t.closed_at && seconds(t.closed_at) >= firstTime) {
      markers.push({ time: seconds(t.closed_at), position: long ? "aboveBar" : "belowBar", color: "#8250df", shape: "circle", text: `exit ${t.exit_price}` });
    }
  }
  return markers;
}

function priceChart(lib, symbol) {
  const { CandlestickSeries, LineSeries, createSeriesMarkers } = lib;
  const element = h("div", { class: "chart chart-price", "data-testid": `price-chart-${symbol}`, "data-symbol": symbol });
  const chart = newChart(lib, element, 420);
  const candles = chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, wickUpColor: UP, wickDownColor: DOWN, borderVisible: false });
  const adx = chart.addSeries(LineSeries, { color: "#9a6700", lineWidth: 2, title: "ADX" }, 1);
  const plus = chart.addSeries(LineSeries, { color: UP, lineWidth: 1, title: "+DI" }, 1);
  const minus = chart.addSeries(LineSeries, { color: DOWN, lineWidth: 1, title: "−DI" }, 1);
  chart.panes()[1]?.setHeight(120);
  const markers = createSeriesMarkers(candles, []);
  let lines = [];
  return {
    element,
    draw(found, trades, positions) {
      const rows = found.candles;
      const bars = rows.map((c) => ({ time: seconds(c.open_time), open: num(c.open), high: num(c.high), low: num(c.low), close: num(c.close) }));
      candles.setData(bars);
      const line = (key) => rows.filter((c) => c[key] !== null).map((c) => ({ time: seconds(c.open_time), value: num(c[key]) }));
      adx.setData(line("adx"));
      plus.setData(line("plus_di"));
      minus.setData(line("minus_di"));
      const first = bars.length ? bars[0].time : 0;
      const all = [...signalMarkers(rows), ...tradeMarkers(symbol, trades, positions, first)].sort((a, b) => a.time - b.time);
      markers.setMarkers(all);
      for (const drawn of lines) candles.removePriceLine(drawn);
      lines = positions
        .filter((p) => p.symbol === symbol)
        .flatMap((p) => [
          candles.createPriceLine({ price: num(p.entry_price), color: "#0969da", lineStyle: 2, title: "entry" }),
          p.stop_price && candles.createPriceLine({ price: num(p.stop_price), color: DOWN, lineStyle: 2, title: "stop" }),
        ])
        .filter(Boolean);
      Object.assign(element.dataset, { candles: bars.length, indicators: line("adx").length, markers: all.length, priceLines: lines.length, lastClose: bars.at(-1)?.close ?? "" });
      chart.fitFirstData(bars.length);
    },
  };
}

function equityChart(lib) {
  const { AreaSeries, HistogramSeries } = lib;
  const element = h("div", { class: "chart chart-equity", "data-testid": "equity-chart" });
  const chart = newChart(lib, element, 320);
  const equity = chart.addSeries(AreaSeries, { lineColor: "#0969da", topColor: "rgba(9,105,218,0.3)", bottomColor: "rgba(9,105,218,0.02)", title: "equity" });
  const drawdown = chart.addSeries(AreaSeries, { lineColor: DOWN, topColor: "rgba(207,34,46,0.05)", bottomColor: "rgba(207,34,46,0.4)", invertFilledArea: true, title: "drawdown %" }, 1);
  chart.panes()[1]?.setHeight(90);
  const bars = h("div", { class: "chart chart-pnl", "data-testid": "daily-pnl-chart" });
  const pnlChart = newChart(lib, bars, 160);
  const pnl = pnlChart.addSeries(HistogramSeries, { title: "daily PnL" });
  return {
    element: h("div", {}, element, h("h3", {}, "Daily PnL"), bars),
    draw(found) {
      const points = found.points.map((p) => ({ time: seconds(p.at), equity: num(p.equity), drawdown: num(p.drawdown_pct) }));
      equity.setData(points.map((p) => ({ time: p.time, value: p.equity })));
      drawdown.setData(points.map((p) => ({ time: p.time, value: p.drawdown })));
      pnl.setData(found.daily_pnl.map((d) => ({ time: d.day, value: num(d.pnl), color: num(d.pnl) < 0 ? DOWN : UP })));
      Object.assign(element.dataset, { points: points.length, maxDrawdown: found.max_drawdown_pct });
      bars.dataset.days = String(found.daily_pnl.length);
      chart.fitFirstData(points.length);
      pnlChart.fitFirstData(found.daily_pnl.length);
    },
  };
}

const ATTRIBUTION = h(
  "p",
  { class: "muted small" },
  "Charts: ",
  h("a", { href: "https://www.tradingview.com/lightweight-charts/", rel: "noopener" }, "TradingView Lightweight Charts™"),
);

/**
 * The charts of one trader. `equityPath` is his equity endpoint (own, admin's or viewer's).
 * Returns {element, refresh(view)} where view = {settings, positions, trades}.
 */
export function tradingCharts(equityPath) {
  const prices = new Map();
  const priceCards = h("div", { class: "charts" });
  const equityBox = h("div", {});
  let curve = null;
  const element = h(
    "div",
    { class: "charts-area" },
    card("Price", h("p", { class: "muted" }, "Candles from the strategy, its signals, your entries and exits; ADX / +DI / −DI below."), priceCards),
    card("Equity", h("p", { class: "muted" }, "Equity with its drawdown from the peak (shaded, below), and each day's PnL (UTC)."), equityBox, ATTRIBUTION.cloneNode(true)),
  );

  let lastView = null;
  let timer = null;
  function keepMoving() {
    clearInterval(timer);
    timer = setInterval(() => {
      if (!element.isConnected) clearInterval(timer);
      else if (!document.hidden && lastView) refresh(lastView).catch(() => {});
    }, CANDLE_REFRESH_MS);
  }

  async function refresh(view) {
    const { settings, positions = [], trades = [] } = view;
    if (lastView === null) keepMoving();
    lastView = view;
    const symbols = [...new Set([...(settings?.symbols || []), ...positions.map((p) => p.symbol)])];
    const timeframe = settings?.timeframe || "5m";
    let lib;
    try {
      lib = await charting();
    } catch {
      equityBox.replaceChildren(h("p", { class: "empty" }, "Charts unavailable: their library is not installed (run ./fleet)."));
      return;
    }
    if (curve === null) {
      curve = equityChart(lib);
      equityBox.replaceChildren(curve.element);
    }
    const [equity, ...markets] = await Promise.all([
      get(equityPath),
      ...symbols.map((symbol) => get("/api/market/candles", { symbol, timeframe, limit: CANDLES })),
    ]);
    curve.draw(equity);
    markets.forEach((found, i) => {
      const symbol = symbols[i];
      if (!prices.has(symbol)) {
        const chart = priceChart(lib, symbol);
        prices.set(symbol, chart);
        priceCards.append(h("section", { class: "chart-block" }, h("h3", {}, `${symbol} · ${timeframe}`), chart.element));
      }
      prices.get(symbol).draw(found, trades, positions);
    });
  }
  return { element, refresh };
}
