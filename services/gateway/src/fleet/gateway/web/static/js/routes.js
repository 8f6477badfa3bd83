// The views by address and role. The API decides what anyone may do; this table only
// chooses which views a role is offered (a viewer gets no view that changes anything).

import { accountView } from "./views/account.js";
import { auditView } from "./views/admin_audit.js";
import { overviewView } from "./views/admin_overview.js";
import { userView } from "./views/admin_user.js";
import { usersView } from "./views/admin_users.js";
import { connectionView } from "./views/trader_connection.js";
import { notificationsView } from "./views/notifications.js";
import { decisionsView } from "./views/trader_decisions.js";
import { traderView } from "./views/trader_dashboard.js";
import { historyView } from "./views/trader_history.js";
import { settingsView } from "./views/trader_settings.js";
import { viewerDashboardView, viewerTradersView } from "./views/viewer.js";
import { systemView } from "./views/admin_system.js";
import { securityLogView } from "./views/security_log.js";
import { verifyEmailView } from "./views/verify_email.js";
import { billingView } from "./views/trader_billing.js";
import { adminBillingView } from "./views/admin_billing.js";

const EVERYONE = ["admin", "trader", "viewer"];

export const ROUTES = [
  { path: "trader", title: "Dashboard", roles: ["trader"], view: traderView },
  { path: "trader/connection", title: "BingX connection", roles: ["trader"], view: connectionView },
  { path: "trader/settings", title: "Settings", roles: ["trader"], view: settingsView },
  { path: "trader/history", title: "Trades & sessions", roles: ["trader"], view: historyView },
  { path: "trader/decisions", title: "Risk decisions", roles: ["trader"], view: decisionsView },
  { path: "admin", title: "Overview", roles: ["admin"], view: overviewView },
  { path: "admin/users", title: "Users", roles: ["admin"], view: usersView },
  { path: "admin/users/:id", title: "User", roles: ["admin"], view: userView, hidden: true },
  { path: "admin/audit", title: "Audit log", roles: ["admin"], view: auditView },
  { path: "viewer", title: "Traders", roles: ["viewer"], view: viewerTradersView },
  { path: "viewer/:id", title: "Trader", roles: ["viewer"], view: viewerDashboardView, hidden: true },
  { path: "account", title: "My account", roles: EVERYONE, view: accountView },
  { path: "notifications", title: "Notifications", roles: EVERYONE, view: notificationsView, hidden: true },
  { path: "admin/system", title: "System", roles: ["admin"], view: systemView },
  { path: "account/security", title: "Security log", roles: EVERYONE, view: securityLogView },
  { path: "trader/billing", title: "Fees & statements", roles: ["trader"], view: billingView },
  { path: "admin/billing", title: "Billing", roles: ["admin"], view: adminBillingView },
  { path: "verify-email", title: "E-mail verification", roles: EVERYONE, view: verifyEmailView, hidden: true },
];

const HOME = { admin: "admin", trader: "trader", viewer: "viewer" };

export function homeOf(role) {
  return HOME[role] || "account";
}

export function navFor(role) {
  return ROUTES.filter((r) => !r.hidden && r.roles.includes(role));
}

function matches(pattern, parts) {
  const wanted = pattern.split("/");
  if (wanted.length !== parts.length) return null;
  const params = {};
  for (let i = 0; i < wanted.length; i += 1) {
    if (wanted[i].startsWith(":")) params[wanted[i].slice(1)] = decodeURIComponent(parts[i]);
    else if (wanted[i] !== parts[i]) return null;
  }
  return params;
}

/** The route and its parameters for an address like "#/admin/users/abc", for `role`. */
export function match(hash, role) {
  const parts = hash.replace(/^#\/?/, "").split("?")[0].split("/").filter(Boolean);
  for (const route of ROUTES) {
    if (!route.roles.includes(role)) continue;
    const params = matches(route.path, parts);
    if (params) return { route, params };
  }
  return null;
}
