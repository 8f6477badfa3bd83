// The signed-in user's own account: who he is, his password, and signing out of every
// browser session (POST /api/auth/logout-all), and his personal access tokens.

import { get, post } from "../api.js";
import { fill, h } from "../dom.js";
import { time } from "../format.js";
import { badge, button, card, confirmAction, facts, heading, notify } from "../ui.js";
import { passwordForm } from "./login.js";
import { notificationSettings } from "./notification_settings.js";
import { tokensCard } from "./tokens.js";
import { twoFactorCard } from "./two_factor.js";

// "Sign out everywhere" (this page and the security log): confirmed, then every session ends
export function signOutEverywhere(signedOut) {
  return async () => {
    if (!(await confirmAction("Sign out of every browser session, this one included?", "Sign out everywhere"))) return;
    const answer = await post("/api/auth/logout-all");
    notify(`${answer.sessions_ended} session(s) ended.`);
    signedOut();
  };
}

// The address, whether it opened its verification link (only then does it get mail), and
// a new link on request (POST /api/auth/email/resend: the same answer whatever the state)
function emailFact(me) {
  if (!me.email) return h("span", { class: "muted" }, "none");
  if (me.email_verified) return h("span", {}, me.email, " ", badge("verified"));
  const resend = button("Send the link again", async () => {
    const answer = await post("/api/auth/email/resend");
    notify(answer.message);
  }, "secondary", { "data-testid": "resend-verification" });
  return h(
    "span",
    { class: "stack" },
    h("span", {}, me.email, " ", badge("not_verified")),
    h("span", { class: "muted" }, "Open the link we mailed to this address: until then it receives nothing else."),
    resend,
  );
}

export function accountView(page, _params, { me, refreshMe, signedOut }) {
  const everywhere = signOutEverywhere(signedOut);
  fill(
    page,
    heading("My account"),
    h(
      "div",
      { class: "grid grid-2" },
      card(
        "Who I am",
        facts([
          ["Username", me.username],
          ["Email", emailFact(me)],
          ["Role", badge(me.role)],
          ["Member since", time(me.created_at)],
        ]),
      ),
      card("Change my password", passwordForm(me.username, refreshMe)),
      card("Two-factor authentication", twoFactorCard(me, async () => {
        await refreshMe();
        accountView(page, _params, { me: await get("/api/auth/me"), refreshMe, signedOut });
      })),
      card(
        "Sessions",
        h("p", { class: "muted" }, "Lost a device, or signed in on a shared computer? End every browser session at once."),
        h("p", {}, h("a", { href: "#/account/security" }, "See my sign-ins, sessions and admins' actions (security log)")),
        button("Sign out everywhere", everywhere, "danger"),
      ),
    ),
    card("Access tokens", ...tokensCard(me)),
    card("Notifications", notificationSettings()),
  );
}
