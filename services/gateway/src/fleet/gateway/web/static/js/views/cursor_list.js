// A list read page by page along the API's cursors (`before` / `next_before`), newest
// first: "Newer" goes back along the cursors seen, "Older" to the next page; rows that
// arrive meanwhile never shift a page.

import { get } from "../api.js";
import { h } from "../dom.js";
import { button, region } from "../ui.js";

/** `show(before)` renders the page of `path` through `render(items)`; `reload()` the
 * page shown (a live refresh keeps the reader where he paged to, and re-renders only
 * when the page changed, so a button is not replaced under the pointer). */
export function cursorList(path, render, { pageSize = 20 } = {}) {
  const seen = []; // the `before` of each newer page (undefined: the newest)
  let current;
  const holder = region(
    (page) => {
      const toOlder = () => {
        seen.push(current);
        return show(page.next_before);
      };
      const older = button("Older", toOlder, "secondary", { disabled: !page.next_before });
      const newer = button("Newer", () => show(seen.pop()), "secondary", { disabled: !page.newer });
      return [render(page.items), h("nav", { class: "pager", "aria-label": "Pages" }, newer, older)];
    },
    { class: ["region", "column"] },
  );
  async function show(before) {
    const page = await get(path, { limit: pageSize, before });
    current = before;
    holder.update({ ...page, newer: seen.length > 0 });
  }
  return { holder, show, reload: () => show(current) };
}
