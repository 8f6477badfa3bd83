"""Performance fees end to end through the real stack: the simulator's balance moves
(losses, new highs) and its deposits and withdrawals (income TRANSFER, ACCOUNT_UPDATE
DEPOSIT / WITHDRAW) → the executor's valuations and transfers → auth's period closer
(fixed 20-second periods here) → the statements, the running estimate, the invoices, the
revenue report and their CSVs through the gateway; an admin marks an invoice paid. A
second trader on the same priced plan, without fee terms or a key, is invoiced the plan
price each period (fee 0).

The path is the hand-computed table's first five months (libs/billing/tests/
test_fee_table.py) after one flat period (the fee starts at the first valuation)."""

import asyncio
import csv
import io
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from fleet.testing.waiting import until

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

# a stack start, then six 20-second periods lived through and closed: longer than the default
pytestmark = [pytest.mark.integration, pytest.mark.timeout(480)]

# Each step must be valued, read and projected inside its own period: 12 s was too short
# for a CI machine running the 300-trader test beside this one.
PERIOD_S = 20
D = Decimal
# what happens in each period: the balance set by hand (a loss or a gain) and transfers;
# then the statement expected: start, end, deposits, withdrawals, fee, mark after, carried
PATH: list[tuple[str | None, str | None, tuple[str, ...]]] = [
    ("flat", None, ()),
    ("new high", "1200", ()),
    ("loss", "1100", ()),
    ("deposit", "1650", ("500",)),
    ("recovers", "1800", ()),
    ("withdraws", "1000", ("-900",)),
]
EXPECTED = [
    ("1000", "1000", "0", "0", "0", "1000", "0"),
    ("1000", "1200", "0", "0", "40", "1200", "0"),
    ("1200", "1100", "0", "0", "0", "1200", "100"),
    ("1100", "1650", "500", "0", "0", "1700", "50"),
    ("1650", "1800", "0", "0", "20", "1800", "0"),
    ("1800", "1000", "0", "900", "20", "1000", "0"),
]
PLAN_PRICE = D("5")


@pytest.fixture(scope="module")
def extra_services() -> tuple[str, ...]:
    return ("vault", "executor")


@pytest.fixture(scope="module")
def auth_env() -> dict[str, str]:
    return {
        "FLEET_LOGIN_SOURCE_PER_MINUTE": "6000",
        "FLEET_LOGIN_SOURCE_BURST": "500",
        "FLEET_BILLING_PERIOD": str(PERIOD_S),
        "FLEET_BILLING_CLOSE_EVERY_S": "1",
        "FLEET_BILLING_SETTLE_S": "0",  # the simulator's transfers are streamed at once
    }


@pytest.fixture(scope="module")
def gateway_env() -> dict[str, str]:
    return {"FLEET_BILLING_PERIOD": str(PERIOD_S)}


async def sim(bingx_sim: Any, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=bingx_sim.url) as http:
        answer = await http.request(method, path, json=body)
        assert answer.status_code < 300, answer.text
        return dict(answer.json())


async def next_period() -> None:
    """Sleep to just after the next period boundary."""
    await asyncio.sleep(PERIOD_S - time.time() % PERIOD_S + 0.3)


async def estimate(trader: "Session") -> dict[str, Any] | None:
    answer = await trader.get("/api/billing/statements")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] | None = answer.json()["estimate"]
    return found


async def reflected(
    trader: "Session", wanted: tuple[Decimal, Decimal, Decimal]
) -> dict[str, Any] | None:
    """The running estimate once it shows ``wanted`` (end equity, deposits, withdrawals)."""
    seen = await estimate(trader) or {}
    got = tuple(D(seen.get(f, "-1")) for f in ("end_equity", "deposits", "withdrawals"))
    return seen if got == wanted else None


async def test_fee_periods_over_a_simulated_path(
    stack: "Stack", admin: "Session", bingx_sim: Any
) -> None:
    trader = await stack.new_session(admin, "trader")
    keys = await sim(bingx_sim, "POST", "/sim/accounts", {"balance": "1000"})
    stack.secrets.update({keys["apiKey"], keys["secretKey"]})
    api_key = keys["apiKey"]
    connected = await trader.post(
        "/api/bingx/connect", json={"api_key": api_key, "api_secret": keys["secretKey"]}
    )
    assert connected.status_code == 200, connected.text
    plan = {"name": "Billed", "price": str(PLAN_PRICE)}
    assert (await admin.put("/api/admin/plans", json=plan)).status_code == 200
    subscriber = await stack.new_session(admin, "trader")
    for member in (trader, subscriber):
        chosen = await admin.put(
            f"/api/admin/users/{member.user_id}/plan", json={"plan_name": "Billed"}
        )
        assert chosen.status_code == 200, chosen.text
    today = datetime.now(UTC).date().isoformat()
    fee = await admin.put(
        f"/api/admin/users/{trader.user_id}/fee", json={"rate": "0.2", "starts_on": today}
    )
    assert fee.status_code == 200, fee.text
    terms = (await admin.get("/api/admin/billing/terms")).json()["traders"]
    listed_terms = {t["user_id"]: (t["rate"], t["starts_on"], t["plan"]) for t in terms}
    assert listed_terms[trader.user_id] == ("0.2", today, "Billed")
    assert listed_terms[subscriber.user_id] == (None, None, "Billed")
    await trader.put("/api/settings", json={"trading_enabled": True})
    assert (await trader.post("/api/bot/start")).status_code == 200

    async def valued() -> bool:
        return await estimate(trader) is not None

    await until(valued, timeout=60)  # the first valuation: the fee's accounting begins
    periods: list[str] = []
    for step, (name, balance, moved) in enumerate(PATH):
        if step:
            await next_period()
        for amount in moved:
            await sim(bingx_sim, "POST", f"/sim/accounts/{api_key}/transfers", {"amount": amount})
        if balance is not None:
            await sim(bingx_sim, "PUT", f"/sim/accounts/{api_key}/balance", {"balance": balance})
        _start, end, deposits, withdrawals, *_ = EXPECTED[step]
        wanted = (D(end), D(deposits), D(withdrawals))
        try:
            seen = await until(lambda wanted=wanted: reflected(trader, wanted), timeout=PERIOD_S)
        except AssertionError as missing:
            last = await estimate(trader)
            raise AssertionError(f"{name}: {wanted} not in the estimate {last}") from missing
        assert seen["period"] not in periods, f"{name}: not seen inside its own period"
        periods.append(seen["period"])

    async def all_closed() -> bool:
        answer = (await trader.get("/api/billing/statements")).json()
        return set(periods) <= {s["period"] for s in answer["statements"]}

    await until(all_closed, timeout=3 * PERIOD_S)
    statements = {
        s["period"]: s for s in (await trader.get("/api/billing/statements")).json()["statements"]
    }
    for period, expected in zip(periods, EXPECTED, strict=True):
        s = statements[period]
        fields = ("start_equity", "end_equity", "deposits", "withdrawals", "fee", "mark_after")
        got = tuple(D(s[f]) for f in (*fields, "carried_loss"))
        assert got == tuple(D(v) for v in expected), (period, s["sentence"])
        assert (s["plan"], D(s["plan_price"]), s["status"]) == ("Billed", PLAN_PRICE, "open")
        assert D(s["total"]) == PLAN_PRICE + D(s["fee"])
    fees = sum(D(statements[p]["fee"]) for p in periods)
    assert fees == D(80)
    deposit_period = statements[periods[3]]
    assert (
        "deposits 500.00 and withdrawals 0.00 move the high-water mark"
        in (deposit_period["sentence"])
    )

    # the trader's CSV: decimals as text, audited
    exported = await trader.get("/api/billing/statements.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = {r["period"]: r for r in csv.DictReader(io.StringIO(exported.text))}
    assert D(rows[periods[1]]["fee"]) == D(40) and rows[periods[1]]["status"] == "open"

    # the admin: invoices, one marked paid (audited), the revenue report and its CSV
    first_fee = periods[1]
    invoices = await admin.get("/api/admin/billing/invoices", params={"period": first_fee})
    [invoice] = [i for i in invoices.json()["invoices"] if i["user_id"] == trader.user_id]
    assert D(invoice["total"]) == D(45) and invoice["username"]
    paid = await admin.put(
        f"/api/admin/billing/invoices/{trader.user_id}/{first_fee}",
        json={"status": "paid", "note": "wire 42"},
    )
    assert paid.status_code == 200 and paid.json()["changed"], paid.text
    again = await admin.get(
        "/api/admin/billing/invoices", params={"period": first_fee, "status": "paid"}
    )
    assert [i["user_id"] for i in again.json()["invoices"]] == [trader.user_id]
    not_closed = await admin.put(
        f"/api/admin/billing/invoices/{trader.user_id}/2020-01", json={"status": "waived"}
    )
    assert not_closed.status_code == 404, not_closed.text
    revenue = {
        r["period"]: r for r in (await admin.get("/api/admin/billing/revenue")).json()["periods"]
    }
    row = revenue[first_fee]
    # the subscriber's plan price is open
    assert (D(row["fees"]), D(row["paid"]), D(row["open"])) == (D(40), D(45), PLAN_PRICE)
    subscribed = (await subscriber.get("/api/billing/statements")).json()["statements"]
    assert set(periods) <= {s["period"] for s in subscribed}
    assert {(D(s["fee"]), D(s["total"])) for s in subscribed} == {(D(0), PLAN_PRICE)}
    report = await admin.get("/api/admin/billing/revenue.csv")
    assert report.status_code == 200 and first_fee in report.text
    listed = await admin.get("/api/admin/billing/invoices.csv")
    assert listed.status_code == 200 and trader.user_id in listed.text
    audit = await admin.get("/api/admin/audit", params={"target": trader.user_id})
    actions = {e["action"] for e in audit.json()["items"]}
    assert {"admin.billing.invoice_status", "trading.export.statements"} <= actions
    everything = (await admin.get("/api/admin/audit")).json()["items"]
    assert {"admin.export.revenue", "admin.export.invoices"} <= {e["action"] for e in everything}
