// The trader's BingX connection: connect (POST /api/bingx/connect), test, disconnect.
// The API secret lives only in its password field until the request is sent; the field
// is cleared right after, and the secret is never stored, logged or shown.

import { get, post } from "../api.js";
import { fill, h } from "../dom.js";
import { money, time } from "../format.js";
import { actionForm, button, card, confirmAction, environmentBadge, facts, field, formError, heading, notify, region } from "../ui.js";
import { credentialFacts, maskedKey } from "./cards.js";

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
      formError(),
      h("button", { type: "submit", class: "btn btn-primary" }, "Connect and verify"),
    ],
    async (form) => {
      const key = form.elements.api_key;
      const secret = form.elements.api_secret;
      let answer;
      try {
        const environment = form.elements.environment.value || "live";
        answer = await post("/api/bingx/connect", { api_key: key.value.trim(), api_secret: secret.value, environment });
      } finally {
        secret.value = "";
        key.value = "";
      }
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

export function connectionView(page) {
  const result = h("div", { class: "region", "aria-live": "polite" });

  async function refresh() {
    const status = await get("/api/status");
    stored.update(status.credential);
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
    await refresh();
  }

  const stored = region((credential) => [
    credentialFacts(credential),
    credential.connected_at && facts([["Connected", time(credential.connected_at)]]),
    CONNECTED.has(credential.status) &&
      h("div", { class: "buttons" }, button("Test connection", test), button("Disconnect", disconnect, "danger")),
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
            "and bind it to Fleet's IP addresses. Connecting again replaces the stored key.",
        ),
        form,
        result,
      ),
    ),
  );
  return refresh;
}
