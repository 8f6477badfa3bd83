// Small building blocks every view uses: cards, tables, badges, labelled fields with their
// error line, notices, a confirmation dialog and a pager.

import { fill, h, uid } from "./dom.js";
import { words } from "./format.js";

export function card(title, ...children) {
  const id = uid("card");
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), children);
}

export function badge(status) {
  const name = String(status || "unknown");
  return h("span", { class: ["badge", `badge-${name}`] }, words(name));
}

/** LIVE / DEMO / SIMULATOR: where a trader's orders go (his key's BingX environment, or
 * the simulator when the platform runs on it). Nothing for a trader without a key. */
export function environmentBadge(environment, simulated = false) {
  if (!environment) return null;
  const name = simulated ? "simulator" : environment;
  const title = simulated ? `the BingX simulator (the key is a ${environment} key)` : `BingX ${environment === "demo" ? "VST (demo, virtual USDT)" : "live"}`;
  return h("span", { class: ["badge", "badge-env", `badge-env-${name}`], title, "data-testid": "environment" }, name.toUpperCase());
}

/** A definition list of [label, value] pairs. */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(Boolean).map(([label, value]) => [h("dt", {}, label), h("dd", {}, value)]),
  );
}

/** A short list of "name value" lines (a decision's figures, an audit entry's details). */
export function pairs(values, show = (v) => v) {
  const entries = Object.entries(values || {});
  if (!entries.length) return "—";
  return h("ul", { class: "numbers" }, entries.map(([k, v]) => h("li", {}, h("span", { class: "muted" }, `${words(k)} `), show(v))));
}

/** A table: columns are {label, cell: row -> node|string, num?}. */
export function table({ caption, columns, rows, empty = "Nothing yet." }) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  // a column without a visible title (a row's buttons, a tag) still has a name for screen
  // readers: `a11yLabel`, else "Actions"
  const named = (c) => c.label || c.a11yLabel || "Actions";
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num && "num" }, c.label || h("span", { class: "sr-only" }, named(c)))));
  const body = rows.map((row) =>
    h("tr", {}, columns.map((c) => h("td", { class: [c.num && "num", !c.label && "no-label"], "data-label": c.label }, c.cell(row)))),
  );
  // a wide table scrolls inside its box: the box is a named, focusable group so a
  // keyboard can scroll it too (on a phone the rows become cards instead, app.css)
  return h(
    "div",
    { class: "table-wrap", tabindex: "0", role: "group", "aria-label": caption || "Table" },
    h("table", { class: "data-table" }, caption && h("caption", { class: "sr-only" }, caption), h("thead", {}, head), h("tbody", {}, body)),
  );
}

/** A labelled input (or select) with a hint and an error line; `name` is the API's field. */
export function field({ name, label, type = "text", hint, options, ...attrs }) {
  const id = uid(name);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const described = [hintId, errorId].filter(Boolean).join(" ");
  const common = { id, name, "aria-describedby": described, ...attrs };
  let input;
  if (options) {
    input = h("select", common, options.map((o) => h("option", { value: o.value ?? o, selected: (o.value ?? o) === attrs.value }, o.label ?? o)));
  } else {
    input = h("input", { type, ...common });
  }
  const check = type === "checkbox";
  return h(
    "div",
    { class: ["field", check && "field-check"], "data-field": name },
    check ? [input, h("label", { for: id }, label)] : [h("label", { for: id }, label), input],
    hint && h("p", { class: "hint", id: hintId }, hint),
    h("p", { class: "field-error", id: errorId, role: "alert" }),
  );
}

/** Clear a form's error lines. */
export function clearErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((el) => fill(el));
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

// the validator's wording, said plainly (the API's field and limit are kept)
const PLAIN = [
  [/^Value error, /, ""],
  [/^Input should be a valid decimal.*$/, "Enter a number, e.g. 2.5."],
  [/^Input should be a valid (integer|number).*$/, "Enter a whole number, e.g. 3."],
  [/^Input should be (less|greater) than or equal to (.+)$/, "Must be $1 than or equal to $2."],
  [/^Input should be (less|greater) than (.+)$/, "Must be $1 than $2."],
  [/^Input should be (.+)$/, "Choose $1."],
  [/^Field required$/, "Required."],
  [/^String should have at most (\d+) characters?$/, "At most $1 characters."],
  [/^String should have at least (\d+) characters?$/, "At least $1 characters."],
  [/^List should have at least 1 item.*$/, "Give at least one."],
];

/** A validation message in plain language ("Value error, …" and pydantic's phrases). */
export function plainMessage(message) {
  let text = String(message || "");
  for (const [pattern, replacement] of PLAIN) text = text.replace(pattern, replacement);
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** Show an API refusal on a form: next to each field it names, else at the form's foot. */
export function showError(form, error) {
  clearErrors(form);
  let placed = false;
  for (const problem of error.problems || []) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(problem.field)}"]`);
    if (!wrap) continue;
    fill(wrap.querySelector(".field-error"), plainMessage(problem.message));
    wrap.querySelector("input, select")?.setAttribute("aria-invalid", "true");
    placed = true;
  }
  const foot = form.querySelector(".form-error");
  if (foot) fill(foot, placed ? "" : error.text || error.message);
  if (!placed && !foot) notify(error.text || error.message, "error");
}

/** A form whose submit runs `action(form)` with its button disabled; refusals are shown on it. */
export function actionForm(props, children, action) {
  const form = h("form", { novalidate: true, ...props }, children);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submit = form.querySelector("button[type=submit]");
    clearErrors(form);
    submit.disabled = true;
    try {
      await action(form);
    } catch (error) {
      showError(form, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** A filter form; `apply(values)` runs on submit with the form's named values. */
export function filterForm(label, fields, apply) {
  const form = actionForm(
    { class: "filters", role: "search", "aria-label": label },
    [fields, h("button", { type: "submit", class: "btn btn-secondary" }, "Apply"), formError()],
    async (f) => {
      const values = {};
      for (const el of f.elements) if (el.name) values[el.name] = el.value.trim();
      await apply(values);
    },
  );
  return form;
}

export function formError() {
  return h("p", { class: "form-error", role: "alert" });
}

/** A short message at the top of the page (errors stay until dismissed). */
export function notify(message, kind = "ok") {
  const area = document.getElementById("notices");
  const close = h("button", { type: "button", class: "link", "aria-label": "Dismiss" }, "×");
  const item = h("div", { class: ["notice", `notice-${kind}`], role: kind === "error" ? "alert" : "status" }, h("span", {}, message), close);
  close.addEventListener("click", () => item.remove());
  area.append(item);
  if (kind !== "error") setTimeout(() => item.remove(), 6000);
}

/** Ask before something that cannot be undone; resolves true when confirmed. */
export function confirmAction(message, confirmLabel = "Confirm") {
  const dialog = document.getElementById("confirm");
  fill(dialog.querySelector(".confirm-text"), message);
  const yes = dialog.querySelector("button[value=yes]");
  yes.textContent = confirmLabel;
  dialog.returnValue = "";
  const opener = document.activeElement;
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        // focus goes back where it was (or to the page's heading if that control is gone)
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
        else document.querySelector("main h1")?.focus();
        resolve(dialog.returnValue === "yes");
      },
      { once: true },
    );
  });
}

/** Run `action` with `button` disabled; refusals become a notice. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await action();
  } catch (error) {
    notify(error.text || error.message, "error");
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

export function button(label, onclick, kind = "secondary", attrs = {}) {
  const el = h("button", { type: "button", class: ["btn", `btn-${kind}`], ...attrs }, label);
  el.addEventListener("click", () => busy(el, onclick));
  return el;
}

/** "1–20 of 45" with previous/next buttons; `go(offset)` loads another page. */
export function pager(page, go) {
  if (!page || page.total <= page.limit) return h("p", { class: "pager-count" }, page && page.total ? `${page.total} in all` : "");
  const last = Math.min(page.offset + page.items.length, page.total);
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    button("Previous", () => go(Math.max(0, page.offset - page.limit)), "secondary", { disabled: page.offset === 0 }),
    h("span", {}, `${page.offset + 1}–${last} of ${page.total}`),
    button("Next", () => go(page.offset + page.limit), "secondary", { disabled: last >= page.total }),
  );
}

export function heading(title, ...extra) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1" }, title), extra);
}

/** A part of a view that live updates re-render only when its data changed (so a
 * control the user is about to press is not replaced under the pointer). */
export function region(render, props = {}) {
  const el = h("div", { class: "region", ...props });
  let last;
  el.update = (data) => {
    const key = JSON.stringify(data);
    if (key === last) return;
    last = key;
    fill(el, render(data));
  };
  el.reset = () => {
    last = undefined;
  };
  return el;
}
