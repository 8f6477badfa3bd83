// The verification link mailed when an e-mail address is set (#/verify-email?token=...):
// posts the token (POST /api/auth/email/verify) and says what came of it. Signed out, the
// sign-in page shows the same card above its form.

import { post } from "../api.js";
import { h } from "../dom.js";

/** The token in an address like "#/verify-email?token=...", or "". */
export function linkToken(hash, page) {
  const [path, query] = hash.replace(/^#\/?/, "").split("?");
  return path === page ? new URLSearchParams(query || "").get("token") || "" : "";
}

/** A card saying whether the link's token verified the address. */
export async function verificationCard(token) {
  const status = h("p", { role: "status" }, "Verifying your e-mail address…");
  const shown = h("section", { class: "card auth-card", "aria-label": "E-mail verification" }, status);
  try {
    await post("/api/auth/email/verify", { token });
    status.textContent = "Your e-mail address is verified: notifications by e-mail reach it from now on.";
  } catch (error) {
    status.setAttribute("role", "alert");
    status.textContent = `This link did not work: ${error.text || error.message}`;
  }
  return shown;
}

export async function verifyEmailView(page) {
  const token = linkToken(location.hash, "verify-email");
  page.append(h("h1", {}, "E-mail verification"));
  page.append(token ? await verificationCard(token) : h("p", { role: "alert" }, "This link has no token."));
}
