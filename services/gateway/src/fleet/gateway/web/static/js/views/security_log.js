// The signed-in user's security log (GET /api/account/security-log): his sign-ins and the
// refused attempts at his username, his live browser sessions (end one, or all), his
// access tokens (views/tokens.js) and what administrators did to his account.

import { del, get, seg } from "../api.js";
import { fill } from "../dom.js";
import { time } from "../format.js";
import { badge, button, card, confirmAction, heading, notify, region, table } from "../ui.js";
import { signOutEverywhere } from "./account.js";
import { tokensCard } from "./tokens.js";

export function securityLogView(page, _params, { me, signedOut }) {
  const signIns = region((rows) =>
    table({
      caption: "My sign-ins",
      empty: "No sign-in recorded yet.",
      columns: [
        { label: "Time", cell: (s) => time(s.at) },
        { label: "Address", cell: (s) => s.ip || "—" },
        { label: "Outcome", cell: (s) => badge(s.outcome) },
        { label: "Attempts", cell: (s) => String(s.attempts), num: true },
      ],
      rows,
    }),
  );
  const sessions = region((rows) =>
    table({
      caption: "My sessions",
      empty: "No live session.",
      columns: [
        { label: "Signed in", cell: (s) => time(s.created_at) },
        { label: "Last seen", cell: (s) => time(s.last_seen_at) },
        { label: "Address", cell: (s) => s.ip },
        { label: "Device", cell: (s) => s.device || "—" },
        {
          label: "Actions",
          cell: (s) => (s.current ? "this browser" : button("End", () => end(s), "danger", { "aria-label": `End the session from ${s.ip}` })),
        },
      ],
      rows,
    }),
  );
  const actions = region((rows) =>
    table({
      caption: "Administrators' actions on my account",
      empty: "No administrator action on your account.",
      columns: [
        { label: "Time", cell: (a) => time(a.at) },
        { label: "Action", cell: (a) => a.action },
        { label: "By", cell: (a) => a.actor_id },
        { label: "Outcome", cell: (a) => a.outcome },
      ],
      rows,
    }),
  );
  const refresh = async () => {
    const log = await get("/api/account/security-log");
    signIns.update(log.sign_ins);
    sessions.update(log.sessions);
    actions.update(log.admin_actions);
  };
  const end = async (session) => {
    if (!(await confirmAction(`End the session from ${session.ip}?`, "End session"))) return;
    await del(`/api/account/sessions/${seg(session.session_id)}`);
    notify("Session ended.");
    await refresh();
  };
  const everywhere = signOutEverywhere(signedOut);
  fill(
    page,
    heading("Security log"),
    card("My sign-ins", signIns),
    card("My sessions", sessions, button("Sign out everywhere", everywhere, "danger")),
    card("My access tokens", ...tokensCard(me)),
    card("Administrators' actions on my account", actions),
  );
  return refresh;
}
