"""The access matrix: every route of the live OpenAPI document x every kind of caller,
checked against ONE expected-policy table. A route missing from the table fails.

Callers: anonymous, an admin, trader A on his own resources ("trader-own"), trader B on
A's ("trader-other"), viewer V granted A, viewer W granted nobody. Path ids name A's
resources. A denial must be exactly the expected status (401 not signed in, 403 forbidden
action, 404 someone else's resource); "ok" means the policy let the request through (the
answer is neither 401, 403 nor 404: a 422 for the empty body, or a 503 from a service
this module does not run, is fine).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from fleet.events.bots import BotStarted
from fleet.events.users import TradingSettings

if TYPE_CHECKING:
    from tests.api.conftest import Session, Stack

pytestmark = pytest.mark.integration
OK = "ok"
# trader-own last: its allowed requests may change A's resources (e.g. revoke the token)
SUBJECTS = (
    "anonymous",
    "admin",
    "trader-other",
    "viewer-granted",
    "viewer-not-granted",
    "trader-own",
)
Expected = dict[str, str | int]


def row(
    anonymous: int | str,
    admin: int | str,
    trader_own: int | str,
    trader_other: int | str,
    granted: int | str,
    not_granted: int | str,
) -> Expected:
    return {
        "anonymous": anonymous,
        "admin": admin,
        "trader-own": trader_own,
        "trader-other": trader_other,
        "viewer-granted": granted,
        "viewer-not-granted": not_granted,
    }


PUBLIC = row(OK, OK, OK, OK, OK, OK)
SIGNED_IN = row(401, OK, OK, OK, OK, OK)
TRADER = row(401, 403, OK, OK, 403, 403)
ADMIN = row(401, OK, 403, 403, 403, 403)
OWN_TOKEN = row(401, 404, OK, 404, 404, 404)
OWN_SESSION = row(401, 403, OK, 404, 403, 403)
VIEWER = row(401, 403, 403, 403, OK, OK)
GRANTED = row(401, 403, 403, 403, OK, 404)

EXPECTED: dict[str, Expected] = {
    "GET /healthz": PUBLIC,
    "POST /api/auth/login": PUBLIC,
    "POST /api/auth/email/verify": PUBLIC,
    "POST /api/auth/password-reset": PUBLIC,
    "POST /api/auth/password-reset/confirm": PUBLIC,
    "POST /api/auth/email/resend": SIGNED_IN,
    "POST /api/auth/logout": SIGNED_IN,
    "POST /api/auth/logout-all": SIGNED_IN,
    "GET /api/auth/me": SIGNED_IN,
    "PATCH /api/auth/me": SIGNED_IN,
    "POST /api/auth/password": SIGNED_IN,
    "GET /api/tokens": SIGNED_IN,
    "POST /api/tokens": SIGNED_IN,
    "DELETE /api/tokens/{token_id}": OWN_TOKEN,
    "GET /api/status": TRADER,
    "GET /api/settings": TRADER,
    "PUT /api/settings": TRADER,
    "GET /api/positions": TRADER,
    "GET /api/orders": TRADER,
    "GET /api/trades": TRADER,
    "GET /api/sessions": TRADER,
    "GET /api/sessions/{session_id}": OWN_SESSION,
    "GET /api/stats": TRADER,
    "GET /api/decisions": TRADER,
    "POST /api/bingx/connect": TRADER,
    "GET /api/bingx/egress": TRADER,
    "POST /api/bingx/test": TRADER,
    "POST /api/bingx/disconnect": TRADER,
    "POST /api/bingx/history-import": TRADER,
    "GET /api/bingx/history-import": TRADER,
    "POST /api/bot/start": TRADER,
    "POST /api/bot/stop": TRADER,
    "POST /api/bot/pause": TRADER,
    "POST /api/bot/resume": TRADER,
    "GET /api/admin/users": ADMIN,
    "POST /api/admin/users": ADMIN,
    "GET /api/admin/users/{user_id}": ADMIN,
    "PATCH /api/admin/users/{user_id}": ADMIN,
    "DELETE /api/admin/users/{user_id}": ADMIN,
    "PUT /api/admin/users/{user_id}/role": ADMIN,
    "PUT /api/admin/users/{user_id}/active": ADMIN,
    "POST /api/admin/users/{user_id}/unlock": ADMIN,
    "POST /api/admin/users/{user_id}/password": ADMIN,
    "GET /api/admin/users/{user_id}/tokens": ADMIN,
    "DELETE /api/admin/users/{user_id}/tokens/{token_id}": ADMIN,
    "GET /api/admin/users/{user_id}/grants": ADMIN,
    "PUT /api/admin/users/{user_id}/grants/{trader_id}": ADMIN,
    "DELETE /api/admin/users/{user_id}/grants/{trader_id}": ADMIN,
    "GET /api/admin/users/{user_id}/dashboard": ADMIN,
    "POST /api/admin/users/{user_id}/bot/start": ADMIN,
    "POST /api/admin/users/{user_id}/bot/stop": ADMIN,
    "POST /api/admin/users/{user_id}/bot/pause": ADMIN,
    "POST /api/admin/users/{user_id}/bot/resume": ADMIN,
    "POST /api/admin/users/{user_id}/flatten": ADMIN,
    "POST /api/admin/kill-switch": ADMIN,
    "POST /api/admin/flatten-all": ADMIN,
    "GET /api/admin/overview": ADMIN,
    "GET /api/admin/audit": ADMIN,
    "POST /api/admin/bots/start": ADMIN,
    "POST /api/admin/bots/pause": ADMIN,
    "POST /api/admin/bots/stop": ADMIN,
    "POST /api/admin/resume-all": ADMIN,
    "GET /api/admin/system": ADMIN,
    "GET /api/admin/settings": ADMIN,
    "PUT /api/admin/settings": ADMIN,
    "GET /api/admin/plans": ADMIN,
    "PUT /api/admin/plans": ADMIN,
    "PUT /api/admin/plans/default": ADMIN,
    "PUT /api/admin/users/{user_id}/plan": ADMIN,
    "PUT /api/admin/users/{user_id}/fee": ADMIN,
    "GET /api/viewer/traders": VIEWER,
    "GET /api/viewer/traders/{trader_id}/dashboard": GRANTED,
    # A holds no position in this world: closing one is the trader's own 404, with a reason
    "POST /api/positions/{symbol}/close": row(401, 403, 404, 404, 403, 403),
    "POST /api/positions/flatten": TRADER,
    "GET /api/trades.csv": TRADER,
    "GET /api/sessions.csv": TRADER,
    "GET /api/decisions.csv": TRADER,
    "GET /api/viewer/traders/{trader_id}/trades.csv": GRANTED,
    "GET /api/viewer/traders/{trader_id}/sessions.csv": GRANTED,
    "GET /api/viewer/traders/{trader_id}/decisions.csv": GRANTED,
    "GET /api/admin/users/{user_id}/trades.csv": ADMIN,
    "GET /api/admin/users/{user_id}/sessions.csv": ADMIN,
    "GET /api/admin/users/{user_id}/decisions.csv": ADMIN,
    "GET /api/admin/audit.csv": ADMIN,
    "GET /api/admin/users/{user_id}/trades": ADMIN,
    "GET /api/admin/users/{user_id}/sessions": ADMIN,
    "GET /api/admin/users/{user_id}/decisions": ADMIN,
    "GET /api/notifications": SIGNED_IN,
    "POST /api/notifications/read": SIGNED_IN,
    "GET /api/notifications/preferences": SIGNED_IN,
    "PUT /api/notifications/preferences": SIGNED_IN,
    "GET /api/admin/notifications/failures": ADMIN,
    "GET /api/equity": TRADER,
    "GET /api/admin/users/{user_id}/equity": ADMIN,
    "GET /api/viewer/traders/{trader_id}/equity": GRANTED,
    "GET /api/viewer/traders/{trader_id}/decisions": GRANTED,
    "GET /api/market/candles": SIGNED_IN,
    "POST /api/auth/2fa/enrol": SIGNED_IN,
    "POST /api/auth/2fa/confirm": SIGNED_IN,
    "POST /api/auth/2fa/disable": SIGNED_IN,
    "PUT /api/admin/users/{user_id}/two-factor": ADMIN,
    "GET /api/account/security-log": SIGNED_IN,
    "DELETE /api/account/sessions/{session_id}": SIGNED_IN,  # a trading session's id: 422
    "GET /api/billing/statements": TRADER,
    "GET /api/billing/statements.csv": TRADER,
    "GET /api/admin/billing/invoices": ADMIN,
    "GET /api/admin/billing/invoices.csv": ADMIN,
    "GET /api/admin/billing/revenue": ADMIN,
    "GET /api/admin/billing/revenue.csv": ADMIN,
    "GET /api/admin/billing/terms": ADMIN,
    "GET /api/income": TRADER,
    "GET /api/income.csv": TRADER,
    "PUT /api/admin/billing/invoices/{user_id}/{period}": ADMIN,
}
ENDS_CALLERS_SESSION = {"POST /api/auth/logout", "POST /api/auth/logout-all"}
DESTROYS_TARGET = {"DELETE /api/admin/users/{user_id}"}  # the admin gets a spare victim
REVOKES_TOKEN = {  # A's token is replaced after these (logout-all revokes every token)
    "POST /api/auth/logout-all",
    "DELETE /api/tokens/{token_id}",
    "DELETE /api/admin/users/{user_id}/tokens/{token_id}",
}


@dataclass
class World:
    callers: dict[str, "Session | None"]
    ids: dict[str, str]  # path parameter -> A's resource
    stack: "Stack"


@pytest.fixture(scope="module")
async def world(stack: "Stack", admin: "Session") -> World:
    trader_a = await stack.new_session(admin, "trader")
    trader_b = await stack.new_session(admin, "trader")
    granted = await stack.new_session(admin, "viewer")
    not_granted = await stack.new_session(admin, "viewer")
    answer = await admin.put(f"/api/admin/users/{granted.user_id}/grants/{trader_a.user_id}")
    assert answer.status_code == 200, answer.text
    token_id = await new_token(stack, trader_a)
    await stack.append(
        "bot",
        trader_a.user_id,
        BotStarted(
            session_id="matrix-session",
            settings=TradingSettings(),
            initial_balance=1000,
            by=trader_a.user_id,
        ),
    )
    callers: dict[str, Session | None] = {
        "anonymous": None,
        "admin": admin,
        "trader-own": trader_a,
        "trader-other": trader_b,
        "viewer-granted": granted,
        "viewer-not-granted": not_granted,
    }
    ids = {
        "user_id": trader_a.user_id,
        "trader_id": trader_a.user_id,
        "token_id": token_id,
        "session_id": "matrix-session",
        "symbol": "BTC-USDT",
        "period": "2026-01",
    }
    return World(callers, ids, stack)


async def new_token(stack: "Stack", trader: "Session") -> str:
    token = await trader.post("/api/tokens", json={"name": "matrix", "scope": "read"})
    assert token.status_code == 201, token.text
    stack.secrets.add(token.json()["token"])
    return str(token.json()["token_id"])


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


async def call(
    world: World, subject: str, route: str, operation: dict[str, Any], ids: dict[str, str]
) -> httpx.Response:
    method, template = route.split(" ", 1)
    path = template.format(**ids)
    caller = world.callers[subject]
    http = caller.http if caller else world.stack.client()
    body: dict[str, Any] | None = {} if "requestBody" in operation else None
    return await http.request(method, path, json=body)


async def test_every_route_for_every_caller(world: World, admin: "Session") -> None:
    document = (await admin.get("/openapi.json")).json()
    live = operations(document)
    assert sorted(set(live) - set(EXPECTED)) == [], "routes without an expected policy"
    assert sorted(set(EXPECTED) - set(live)) == [], "expected policies of no route"
    wrong = []
    for route, operation in live.items():
        for subject in SUBJECTS:
            ids = dict(world.ids)
            if route in DESTROYS_TARGET and subject == "admin":
                current_admin = world.callers["admin"]
                assert current_admin is not None
                spare = await world.stack.create_user(current_admin, "trader")
                ids["user_id"] = spare.user_id
            answer = await call(world, subject, route, operation, ids)
            if not allowed_as_expected(EXPECTED[route][subject], answer):
                wrong.append(f"{route} as {subject}: {answer.status_code} {answer.text[:120]}")
            caller = world.callers[subject]
            if route in ENDS_CALLERS_SESSION and caller is not None:
                world.callers[subject] = await world.stack.login(caller.account)
            if route in REVOKES_TOKEN:
                owner = world.callers["trader-own"]
                assert owner is not None
                world.ids["token_id"] = await new_token(world.stack, owner)
    assert wrong == []


def allowed_as_expected(expected: str | int, answer: httpx.Response) -> bool:
    if expected == OK:
        if answer.status_code == 503:  # a service this module does not run
            return bool(answer.json()["error"]["code"] == "unavailable")
        return answer.status_code not in (401, 403, 404) and answer.status_code < 500
    body = answer.json()
    return answer.status_code == expected and set(body["error"]) == {"code", "message", "details"}


# WebSocket routes are not in the OpenAPI document: their own section. A refusal is the
# handshake's 403 (a WebSocket cannot answer 401); whose frames an allowed socket gets is
# tested in test_live_updates.py.
WEBSOCKETS: dict[str, Expected] = {"/api/ws": SIGNED_IN}


async def test_every_websocket_route_for_every_caller(world: World) -> None:
    stack = world.stack
    ws_base = stack.base_url.replace("http://", "ws://")
    wrong = []
    for path, expected in WEBSOCKETS.items():
        for subject in SUBJECTS:
            caller = world.callers[subject]
            headers = {}
            if caller is not None:
                headers["Cookie"] = f"fleet_session={caller.http.cookies.get('fleet_session')}"
            try:
                async with connect(
                    ws_base + path,
                    additional_headers=headers,
                    origin=Origin(stack.base_url),
                ):
                    opened = True
            except InvalidStatus as refused:
                opened = False
                if refused.response.status_code != 403:
                    wrong.append(f"{path} as {subject}: {refused.response.status_code}")
            if opened != (expected[subject] == OK):
                wrong.append(f"{path} as {subject}: {'opened' if opened else 'refused'}")
    assert wrong == []


# Pages outside the OpenAPI document: /dev/mails is the admins' (and 404 for them too here:
# this stack is not the simulator environment; tests/api/test_notifications.py shows it).
PAGES: dict[str, Expected] = {"/dev/mails": row(401, 404, 403, 403, 403, 403)}


async def test_every_page_outside_the_api_for_every_caller(world: World) -> None:
    wrong = []
    for path, expected in PAGES.items():
        for subject in SUBJECTS:
            caller = world.callers[subject]
            http = caller.http if caller else world.stack.client()
            answer = await http.get(path)
            if answer.status_code != expected[subject]:
                wrong.append(f"{path} as {subject}: {answer.status_code}")
    assert wrong == []
