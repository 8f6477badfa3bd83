// "Download CSV" links: a plain link to a CSV route of the API (the session cookie goes
// with it), its address kept in step with the filters the page shows.

import { withQuery } from "./api.js";
import { h } from "./dom.js";

/** A download link for `path` on its own line; `update(query)` follows the page's
 * current filters. */
export function csvLink(path, query = {}, label = "Download CSV") {
  const link = h("a", { class: "btn btn-secondary", href: withQuery(path, query), download: "" }, label);
  const line = h("div", { class: "buttons" }, link);
  line.update = (current) => {
    link.href = withQuery(path, current);
  };
  return line;
}
