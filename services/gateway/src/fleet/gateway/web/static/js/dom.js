// Building the page from data: every value the API gives becomes a text node, never
// markup (no innerHTML anywhere), so nothing a user typed can run as code.

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "required"]);

function setProp(el, key, value) {
  if (value === undefined || value === null || value === false) {
    // a boolean property is switched off; a missing value leaves the field empty (never
    // the text "false")
    if (PROPERTIES.has(key) && key !== "value") el[key] = false;
    return;
  }
  if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
  else if (key === "text") el.textContent = String(value);
  else if (key.startsWith("on") && typeof value === "function") {
    el.addEventListener(key.slice(2).toLowerCase(), value);
  } else if (PROPERTIES.has(key)) el[key] = value;
  else el.setAttribute(key, value === true ? "" : String(value));
}

function append(el, child) {
  if (child === undefined || child === null || child === false) return;
  if (Array.isArray(child)) child.forEach((c) => append(el, c));
  else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

/** h("button", {class: "primary", onclick: f}, "Start") -> <button class="primary">Start</button> */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) setProp(el, key, value);
  append(el, children);
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let counter = 0;
/** A unique id for label/aria wiring. */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}
