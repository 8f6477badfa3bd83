// Two-factor authentication of the signed-in user (POST /api/auth/2fa/enrol, /confirm,
// /disable): the QR code the gateway rendered, the confirmation with a first code, the
// ten recovery codes shown once, and switching it off with a code.

import { post } from "../api.js";
import { fill, h } from "../dom.js";
import { actionForm, button, field, formError, notify } from "../ui.js";

function codeField(label = "Authentication code") {
  return field({ name: "code", label, autocomplete: "one-time-code", inputmode: "numeric", required: true });
}

function recoveryList(codes) {
  return h(
    "div",
    { class: "stack", "data-testid": "recovery-codes" },
    h("p", {}, "Two-factor authentication is on. Keep these recovery codes somewhere safe: each signs you in once if you lose your device. They are shown only now."),
    h("ul", { class: "mono" }, codes.map((c) => h("li", {}, c))),
  );
}

/** The card's content; `onChange` runs after it was switched on or off. */
export function twoFactorCard(me, onChange) {
  const box = h("div", { class: "stack" });
  const offForm = () =>
    actionForm(
      { class: "stack", "aria-label": "Turn off two-factor authentication" },
      [codeField("Code or recovery code"), formError(), h("button", { type: "submit", class: "btn btn-danger" }, "Turn off two-factor authentication")],
      async (f) => {
        await post("/api/auth/2fa/disable", { code: f.elements.code.value.trim() });
        notify("Two-factor authentication is off.");
        await onChange();
      },
    );
  const start = async () => {
    const enrolment = await post("/api/auth/2fa/enrol");
    const confirm = actionForm(
      { class: "stack", "aria-label": "Confirm two-factor authentication" },
      [codeField(), formError(), h("button", { type: "submit", class: "btn btn-primary" }, "Turn on")],
      async (f) => {
        const answer = await post("/api/auth/2fa/confirm", { code: f.elements.code.value.trim() });
        fill(box, recoveryList(answer.recovery_codes), button("I have saved them", onChange, "primary"));
      },
    );
    fill(
      box,
      h("p", {}, "Scan this code with an authenticator app (or type the secret), then enter the 6-digit code it shows."),
      h("img", { src: enrolment.qr_data_uri, alt: "QR code of your two-factor secret", width: 200, height: 200 }),
      h("p", {}, "Secret: ", h("code", { "data-testid": "totp-secret" }, enrolment.secret)),
      confirm,
    );
    confirm.elements.code.focus();
  };
  if (me.totp_enabled) {
    fill(box, h("p", {}, "Two-factor authentication is on: signing in asks for a code."), offForm());
  } else {
    fill(
      box,
      h("p", { class: "muted" }, me.role === "admin" ? "Required for administrators." : "Signing in will also ask for a code from your phone."),
      button("Set up two-factor authentication", start, "primary"),
    );
  }
  return box;
}

/** The page an admin without two-factor authentication sees instead of every other. */
export function enrolView(page, { me, onDone, signOut }) {
  fill(
    page,
    h(
      "div",
      { class: "auth" },
      h(
        "section",
        { class: "card auth-card", "aria-labelledby": "enrol-title" },
        h("h1", { id: "enrol-title" }, "Set up two-factor authentication"),
        h(
          "p",
          {},
          me.role === "admin"
            ? `Hello ${me.username}: administrators must use two-factor authentication before anything else.`
            : `Hello ${me.username}: an administrator requires two-factor authentication for your account; set it up to continue.`,
        ),
        twoFactorCard(me, onDone),
        button("Sign out", signOut),
      ),
    ),
  );
}
