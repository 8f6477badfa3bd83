// Sign-in (POST /api/auth/login) and the password change (POST /api/auth/password),
// which a user must make first when an admin reset his password.

import { post } from "../api.js";
import { fill, h } from "../dom.js";
import { actionForm, field, formError, notify, showError } from "../ui.js";
import { forgotPasswordView, resetPasswordView } from "./reset_password.js";
import { linkToken, verificationCard } from "./verify_email.js";

function submitButton(label) {
  return h("button", { type: "submit", class: "btn btn-primary" }, label);
}

export function loginView(page, { onSignedIn }) {
  // signed out, the password-reset pages live here too (app.js shows this view)
  const resetToken = linkToken(location.hash, "reset-password");
  if (resetToken) return resetPasswordView(page, resetToken);
  if (location.hash.replace(/^#\/?/, "").split("?")[0] === "forgot-password") return forgotPasswordView(page);
  // Two steps for a user with two-factor authentication: the password alone is answered
  // 401 with details.second_factor; the code field then appears and both are sent again.
  const code = field({
    name: "totp_code",
    label: "Authentication code",
    autocomplete: "one-time-code",
    inputmode: "numeric",
    hint: "The 6-digit code of your authenticator app, or one of your recovery codes.",
  });
  code.hidden = true;
  const form = actionForm(
    { class: "card auth-card", "aria-labelledby": "login-title" },
    [
      h("h1", { id: "login-title" }, "Sign in to Fleet"),
      field({ name: "username", label: "Username", autocomplete: "username", required: true }),
      field({ name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true }),
      code,
      formError(),
      submitButton("Sign in"),
      h("p", {}, h("a", { href: "#/forgot-password" }, "Forgot password?")),
    ],
    async (f) => {
      const body = { username: f.elements.username.value.trim(), password: f.elements.password.value };
      const second = f.elements.totp_code.value.trim();
      if (!code.hidden && second) body.totp_code = second;
      try {
        await post("/api/auth/login", body);
      } catch (error) {
        if (error.status === 401 && error.details.second_factor && code.hidden) {
          code.hidden = false; // keep the password for the second step
          f.elements.totp_code.focus();
          return;
        }
        if (!(error.status === 422 && !code.hidden)) f.elements.password.value = "";
        f.elements.totp_code.value = "";
        throw error;
      }
      f.elements.password.value = "";
      f.elements.totp_code.value = "";
      await onSignedIn();
    },
  );
  const wrapper = h("div", { class: "auth" }, form);
  fill(page, wrapper);
  form.elements.username.focus();
  const token = linkToken(location.hash, "verify-email"); // the link works signed out too
  if (token) verificationCard(token).then((shown) => wrapper.prepend(shown));
  return undefined;
}

/** The password change form; `onDone` runs once the API accepted it. */
export function passwordForm(username, onDone) {
  return actionForm(
    { class: "stack", "aria-label": "Change password" },
    [
      h("input", { type: "text", name: "username", value: username, autocomplete: "username", hidden: true, readonly: true }),
      field({ name: "current_password", label: "Current password", type: "password", autocomplete: "current-password" }),
      field({
        name: "new_password",
        label: "New password",
        type: "password",
        autocomplete: "new-password",
        hint: "At least 12 characters, and not your username.",
      }),
      field({ name: "repeat_password", label: "New password again", type: "password", autocomplete: "new-password" }),
      formError(),
      submitButton("Change password"),
    ],
    async (f) => {
      const [current, fresh, again] = ["current_password", "new_password", "repeat_password"].map((n) => f.elements[n]);
      if (fresh.value !== again.value) {
        showError(f, { problems: [{ field: "repeat_password", message: "The two new passwords differ." }] });
        return;
      }
      try {
        await post("/api/auth/password", { current_password: current.value, new_password: fresh.value });
      } finally {
        for (const input of [current, fresh, again]) input.value = "";
      }
      notify("Password changed; your other sessions have ended.");
      await onDone();
    },
  );
}

export function passwordView(page, { me, onDone }) {
  fill(
    page,
    h(
      "div",
      { class: "auth" },
      h(
        "section",
        { class: "card auth-card", "aria-labelledby": "pw-title" },
        h("h1", { id: "pw-title" }, "Choose a new password"),
        h("p", {}, `Hello ${me.username}: your password was set by an administrator. Choose your own to continue.`),
        passwordForm(me.username, onDone),
      ),
    ),
  );
}
