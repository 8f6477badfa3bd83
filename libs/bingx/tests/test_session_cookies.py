"""The BingX connection pool keeps no cookies: requests are authenticated by key and
signature, and one pool serves many users."""

import pytest
from aiohttp import web

from fleet.bingx.transport import open_session

pytestmark = pytest.mark.integration


async def test_a_cookie_set_by_the_server_is_never_sent_back() -> None:
    async def set_cookie(_request: web.Request) -> web.Response:
        response = web.Response(text="{}")
        response.set_cookie("session", "user-a")
        return response

    async def echo(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Cookie", ""))

    app = web.Application()
    app.router.add_get("/set", set_cookie)
    app.router.add_get("/echo", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]  # "localhost": aiohttp's jar refuses cookies of an IP
    session = open_session()
    try:
        async with session.get(f"http://localhost:{port}/set") as answer:
            assert "session=user-a" in answer.headers["Set-Cookie"]
        async with session.get(f"http://localhost:{port}/echo") as answer:
            assert await answer.text() == ""
        assert len(session.cookie_jar) == 0
    finally:
        await session.close()
        await runner.cleanup()
