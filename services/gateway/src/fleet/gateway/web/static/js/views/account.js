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
          ["Email", me.email],
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
