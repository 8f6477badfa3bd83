// The trader's own open positions with their controls: close one, or flatten them all
// (each asks first; the executor closes with reduce-only market orders).

import { post, seg } from "../api.js";
import { h } from "../dom.js";
import { button, confirmAction, notify } from "../ui.js";
import { positionsTable } from "./tables.js";

/** A render function for a region of the trader's positions; `after()` reloads the page. */
export function ownPositions(after) {
  async function close(position) {
    const asked = `Close your ${position.direction} ${position.symbol} position at market now?`;
    if (!(await confirmAction(asked, `Close ${position.symbol}`))) return;
    await post(`/api/positions/${seg(position.symbol)}/close`);
    notify(`Closing ${position.symbol}: a reduce-only market order is on its way.`);
    await after();
  }
  async function flatten(positions) {
    const count = positions.length === 1 ? "your open position" : `all ${positions.length} of your open positions`;
    if (!(await confirmAction(`Close ${count} at market now?`, "Flatten all"))) return;
    const answer = await post("/api/positions/flatten");
    notify(`Closing ${answer.symbols.join(", ")}: reduce-only market orders are on their way.`);
    await after();
  }
  return (positions) => [
    positionsTable(positions, { close }),
    positions.length ? h("div", { class: "buttons" }, button("Flatten all", () => flatten(positions), "danger")) : null,
  ];
}
