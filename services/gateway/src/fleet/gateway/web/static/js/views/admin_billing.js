// The admin's billing: plans (define or change one), every trader's fee terms (set one's
// rate and start), every trader's invoices per period with their status (open / paid /
// waived, audited), and the revenue report; each list with its CSV download.

import { get, put, seg } from "../api.js";
import { fill, h } from "../dom.js";
import { csvLink } from "../download.js";
import { money } from "../format.js";
import { actionForm, card, field, filterForm, formError, heading, notify, region, table } from "../ui.js";
import { feeTerms } from "./admin_fee_terms.js";
import { statementsTable } from "./billing_tables.js";

const STATUSES = ["open", "paid", "waived"];

function plansTable(state) {
  return table({
    caption: "Plans",
    rows: state.plans,
    empty: "No plan defined yet.",
    columns: [
      { label: "Plan", cell: (p) => [p.name, state.default_plan === p.name ? [" ", h("span", { class: "tag" }, "default")] : null] },
      { label: "Price per period", num: true, cell: (p) => money(p.price) },
      { label: "Symbols", cell: (p) => (p.symbols.length ? p.symbols.join(", ") : "any") },
      { label: "Max leverage", num: true, cell: (p) => (p.max_leverage ? `${p.max_leverage}×` : "any") },
      { label: "Max positions", num: true, cell: (p) => p.max_open_positions ?? "any" },
      { label: "Traders", num: true, cell: (p) => Object.values(state.members).filter((n) => n === p.name).length },
    ],
  });
}

function planForm(reload) {
  const optionalInt = (v) => (v ? Number(v) : null);
  return actionForm(
    { class: "stack", "aria-label": "Define or change a plan" },
    [
      field({ name: "name", label: "Name", required: true, maxlength: 64 }),
      field({ name: "price", label: "Price per period (USDT)", value: "0", inputmode: "decimal" }),
      field({ name: "symbols", label: "Symbols allowed", hint: "Comma-separated; empty: any", placeholder: "BTC-USDT, ETH-USDT" }),
      field({ name: "max_leverage", label: "Max leverage", type: "number", min: 1, max: 125 }),
      field({ name: "max_open_positions", label: "Max open positions", type: "number", min: 1, max: 50 }),
      h("button", { type: "submit", class: "btn btn-primary" }, "Save plan"),
      formError(),
    ],
    async (form) => {
      const v = (name) => form.elements[name].value.trim();
      const symbols = v("symbols") ? v("symbols").split(",").map((s) => s.trim().toUpperCase()).filter(Boolean) : [];
      await put("/api/admin/plans", {
        name: v("name"),
        price: v("price") || "0",
        symbols,
        max_leverage: optionalInt(v("max_leverage")),
        max_open_positions: optionalInt(v("max_open_positions")),
      });
      notify(`Plan ${v("name")} saved.`);
      await reload();
    },
  );
}

function statusControl(invoice, reload) {
  return actionForm(
    { class: "inline", "aria-label": `Invoice status of ${invoice.username || invoice.user_id} for ${invoice.period}` },
    [
      field({ name: "status", label: "Status", options: STATUSES, value: invoice.status }),
      h("button", { type: "submit", class: "btn btn-secondary" }, "Set"),
      formError(),
    ],
    async (form) => {
      await put(`/api/admin/billing/invoices/${seg(invoice.user_id)}/${seg(invoice.period)}`, { status: form.elements.status.value });
      notify(`Invoice ${invoice.period} of ${invoice.username || invoice.user_id}: ${form.elements.status.value}.`);
      await reload();
    },
  );
}

function revenueTable(rows) {
  return table({
    caption: "Revenue per period",
    rows,
    empty: "No period closed yet.",
    columns: [
      { label: "Period", cell: (r) => r.period },
      { label: "Traders", num: true, cell: (r) => r.traders },
      { label: "Fees", num: true, cell: (r) => money(r.fees) },
      { label: "Plans", num: true, cell: (r) => money(r.plans) },
      { label: "Total", num: true, cell: (r) => money(r.total) },
      { label: "Paid", num: true, cell: (r) => money(r.paid) },
      { label: "Waived", num: true, cell: (r) => money(r.waived) },
      { label: "Open", num: true, cell: (r) => money(r.open) },
    ],
  });
}

export function adminBillingView(page) {
  const filters = { period: "", status: "" };
  const download = csvLink("/api/admin/billing/invoices.csv");
  const plans = region((state) => plansTable(state));
  const invoices = region((found) =>
    statementsTable(found.invoices, {
      caption: "Invoices",
      empty: "No invoice matches.",
      extra: [
        { label: "Trader", cell: (s) => s.username || s.user_id },
        { label: "Set status", cell: (s) => statusControl(s, refresh) },
      ],
    }),
  );
  const revenue = region((found) => revenueTable(found.periods));
  const terms = region((found) => feeTerms(found, refresh));

  async function refresh() {
    const query = {};
    if (filters.period) query.period = filters.period;
    if (filters.status) query.status = filters.status;
    const [state, found, report, traders] = await Promise.all([
      get("/api/admin/plans"),
      get("/api/admin/billing/invoices", query),
      get("/api/admin/billing/revenue"),
      get("/api/admin/billing/terms"),
    ]);
    plans.update(state);
    terms.update(traders);
    invoices.update(found);
    revenue.update(report);
  }

  const filterBar = filterForm(
    "Filter invoices",
    [
      field({ name: "period", label: "Period", placeholder: "2026-11" }),
      field({ name: "status", label: "Status", options: [{ value: "", label: "Every status" }, ...STATUSES] }),
    ],
    async (values) => {
      filters.period = values.period;
      filters.status = values.status;
      download.update(values);
      invoices.reset();
      await refresh();
    },
  );

  fill(
    page,
    heading("Billing"),
    card("Revenue", revenue, csvLink("/api/admin/billing/revenue.csv")),
    card("Invoices (plan price + performance fee)", filterBar, invoices, download),
    card("Performance fees", terms),
    card("Plans", plans, planForm(refresh)),
  );
  return refresh;
}
