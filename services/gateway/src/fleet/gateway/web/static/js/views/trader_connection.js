// The trader's BingX connection: connect (POST /api/bingx/connect), test, disconnect.
// The API secret lives only in its password field until the request is sent; the field
// is cleared right after, and the secret is never stored, logged or shown.

import { get, post } from "../api.js";
import { fill, h } from "../dom.js";
import { money, time } from "../format.js";
import { actionForm, button, card, confirmAction, environmentBadge, facts, field, formError, heading, notify, region } from "../ui.js";
import { credentialFacts, maskedKey } from "./cards.js";
import { historyImport } from "./history_import.js";

const CONNECTED = new Set(["verified", "failed", "pending"]);

function warningList(warnings) {
  if (!warnings.length) return null;
  return h("ul", { class: "warnings", "aria-label": "Warnings" }, warnings.map((w) => h("li", { class: "hint-box warn" }, w)));
}

/** Live or Demo: which BingX the key belongs to (a VST key is unknown to live BingX). */
function environmentChoice() {
  const option = (value, label, hint, checked) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "environment", value, checked: checked || null, "data-testid": `environment-${value}` }),
      ` ${label} `,
      h("span", { class: "muted" }, hint),
    );
  return h(
    "fieldset",
    { class: "stack" },
    h("legend", {}, "Environment"),
    option("live", "Live", "real BingX, real money", true),
    option("demo", "Demo", "BingX VST: virtual USDT, to try a bot safely", false),
  );
}

/** Show / hide the secret while typing it (it is never shown once sent). */
function revealToggle() {
  const toggle = h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-pressed": "false" }, "Show secret");
  toggle.addEventListener("click", () => {
    const secret = toggle.form.elements.api_secret;
    const show = secret.type === "password";
    secret.type = show ? "text" : "password";
    toggle.setAttribute("aria-pressed", String(show));
    toggle.textContent = show ? "Hide secret" : "Show secret";
  });
  return h("div", { class: "buttons" }, toggle);
}

function copyButton(text) {
  const copy = h("button", { type: "button", class: "btn btn-secondary btn-small", "aria-label": `Copy ${text}` }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      notify(`${text} copied.`);
    } catch {
      notify(`Copy failed: select ${text} and copy it by hand.`, "error");
    }
  });
  return copy;
}

/** Fleet's egress addresses (GET /api/bingx/egress), each with a copy button. */
function egressList(addresses) {
  if (!addresses.length) return h("p", { class: "hint-box", "data-testid": "egress-addresses" }, "No address is set yet: ask an admin for Fleet's IP addresses before you create the key.");
  return h("ul", { class: "egress", "data-testid": "egress-addresses" }, addresses.map((a) => h("li", {}, h("code", {}, a), " ", copyButton(a))));
}

/** How to create the key on BingX, step by step; the whitelist warning always shown. */
function guide(addresses) {
  return card(
    "Create a BingX API key",
    h(
      "ol",
      { class: "steps" },
      h("li", {}, "On bingx.com, open Account → API Management and choose Create API."),
      h("li", {}, "Tick the Read and Perpetual Futures Trading permissions. Never tick Withdraw: Fleet never needs it."),
      h("li", {}, "Under IP restriction, choose to bind IP addresses and enter every address below."),
      h("li", {}, "Confirm with your security codes, then copy the API key and the secret key into the form here."),
    ),
    h("h3", { class: "small" }, "Fleet's IP addresses"),
    egressList(addresses),
    h("p", { class: "hint-box", role: "note" }, "Bind the key to these addresses: a key without an IP whitelist works for anyone who steals it, and BingX disables unbound keys after 90 days."),
  );
}

function connectForm(onConnected) {
  return actionForm(
    { class: "stack", "aria-label": "Connect BingX", autocomplete: "off" },
    [
      environmentChoice(),
      field({ name: "api_key", label: "API key", autocomplete: "off", spellcheck: "false", autocapitalize: "off" }),
      field({
        name: "api_secret",
        label: "API secret",
        type: "password",
        autocomplete: "off",
        hint: "Sent once to Fleet's vault and never shown again.",
      }),
      revealToggle(),
      formError(),
      h("button", { type: "submit", class: "btn btn-primary" }, "Connect and verify"),
    ],
    async (form) => {
      const key = form.elements.api_key;
      const secret = form.elements.api_secret;
      const environment = form.elements.environment.value || "live";
      // a refused attempt keeps both fields (to fix a typo); a stored key clears them
      const answer = await post("/api/bingx/connect", { api_key: key.value.trim(), api_secret: secret.value, environment });
      secret.value = "";
      key.value = "";
      secret.type = "password";
      await onConnected(answer);
    },
  );
}

function resultFacts(answer) {
  return [
    h("p", { class: "ok-text" }, answer.message),
    facts([
      ["API key", h("span", { class: "mono" }, maskedKey(answer.api_key_last4))],
      ["Environment", environmentBadge(answer.environment) || "—"],
      ["Account", answer.account_type || "—"],
      ["Balance", money(answer.balance)],
    ]),
    warningList(answer.warnings || []),
  ];
}

export async function connectionView(page) {
  const egress = await get("/api/bingx/egress").catch(() => ({ addresses: [] }));
  const result = h("div", { class: "region", "aria-live": "polite" });

  // the answer came once the read model applied the change, or after the gateway's bound
  // (FLEET_READ_YOUR_WRITES_S) on a busy log: then read again until it shows
  async function refresh(done = () => true) {
    for (let tries = 0; ; tries += 1) {
      const status = await get("/api/status");
      stored.update(status.credential);
      if (done(status.credential) || tries >= 20) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  async function test() {
    const answer = await post("/api/bingx/test");
    notify(`${answer.message}: balance ${money(answer.balance)}`);
    await refresh();
  }

  async function disconnect() {
    const sure = await confirmAction("Disconnect BingX? Your bot stops and the keys are destroyed in Fleet's vault.", "Disconnect");
    if (!sure) return;
    const answer = await post("/api/bingx/disconnect");
    notify(answer.message);
    fill(result);
    await refresh((credential) => !CONNECTED.has(credential.status));
  }

  const stored = region((credential) => [
    credentialFacts(credential),
    credential.connected_at && facts([["Connected", time(credential.connected_at)]]),
    CONNECTED.has(credential.status) &&
      h("div", { class: "buttons" }, button("Test connection", test), button("Disconnect", disconnect, "danger")),
    // a verified key (just connected, or earlier): offer its BingX history
    credential.status === "verified" && [h("h3", { class: "small" }, "Your BingX history"), historyImport()],
  ]);

  const form = connectForm(async (answer) => {
    fill(result, resultFacts(answer));
    notify(answer.message);
    await refresh();
  });

  fill(
    page,
    heading("BingX connection"),
    h(
      "div",
      { class: "grid grid-2" },
      card("Your connection", stored),
      card(
        "Connect an API key",
        h(
          "p",
          { class: "muted" },
          "Create a key on BingX with the Read and Perpetual Futures Trading permissions (never Withdraw) " +
            "and bind it to Fleet's IP addresses (see the guide). Connecting again replaces the stored key.",
        ),
        form,
        result,
      ),
    ),
    guide(egress.addresses),
  );
  return refresh;
}
