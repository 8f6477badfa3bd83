// Signed out: "Forgot password?" (#/forgot-password: POST /api/auth/password-reset, the
// same answer for any address) and the mailed link's page (#/reset-password?token=...:
// POST /api/auth/password-reset/confirm). The sign-in page shows them for those addresses.

import { post } from "../api.js";
import { fill, h } from "../dom.js";
import { actionForm, field, formError, notify, showError } from "../ui.js";

function submitButton(label) {
  return h("button", { type: "submit", class: "btn btn-primary" }, label);
}

function backToSignIn() {
  return h("p", {}, h("a", { href: "#/login" }, "Back to sign in"));
}

export function forgotPasswordView(page) {
  const answer = h("p", { role: "status" });
  const form = actionForm(
    { class: "card auth-card", "aria-labelledby": "forgot-title" },
    [
      h("h1", { id: "forgot-title" }, "Forgot your password?"),
      h("p", {}, "Enter the verified e-mail address of your account: we mail you a link to choose a new password."),
      field({ name: "email", label: "E-mail address", type: "email", autocomplete: "email", required: true }),
      formError(),
      submitButton("Send the link"),
      answer,
      backToSignIn(),
    ],
    async (f) => {
      const reply = await post("/api/auth/password-reset", { email: f.elements.email.value.trim() });
      answer.textContent = `${reply.message} The link works once, for 30 minutes.`;
    },
  );
  fill(page, h("div", { class: "auth" }, form));
  form.elements.email.focus();
}

export function resetPasswordView(page, token) {
  const form = actionForm(
    { class: "card auth-card", "aria-labelledby": "reset-title" },
    [
      h("h1", { id: "reset-title" }, "Choose a new password"),
      field({
        name: "new_password",
        label: "New password",
        type: "password",
        autocomplete: "new-password",
        hint: "At least 12 characters, and not your username. Every session of yours ends.",
      }),
      field({ name: "repeat_password", label: "New password again", type: "password", autocomplete: "new-password" }),
      formError(),
      submitButton("Set the password"),
      backToSignIn(),
    ],
    async (f) => {
      const [fresh, again] = ["new_password", "repeat_password"].map((n) => f.elements[n]);
      if (fresh.value !== again.value) {
        showError(f, { problems: [{ field: "repeat_password", message: "The two passwords differ." }] });
        return;
      }
      try {
        await post("/api/auth/password-reset/confirm", { token, new_password: fresh.value });
      } finally {
        fresh.value = "";
        again.value = "";
      }
      notify("Your password is set: sign in with it.");
      location.hash = "#/login";
    },
  );
  fill(page, h("div", { class: "auth" }, form));
  form.elements.new_password.focus();
}
