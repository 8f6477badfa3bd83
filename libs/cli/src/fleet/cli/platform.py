"""Starting every part of the platform in order, and stopping it in reverse."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
from nats.errors import NoRespondersError
from pydantic import ValidationError
from sqlalchemy import create_engine

from fleet.cli.notifications import start_notifications
from fleet.cli.state import Part, StackState
from fleet.events.auth_commands import AdminBootstrapped, BootstrapAdmin
from fleet.events.commands import Reply, command_subject
from fleet.eventstore import StreamSpec, ensure_domain_stream
from fleet.eventstore.errors import NATS_TROUBLE
from fleet.projections.meta import migrate
from fleet.ratelimit.retries import attempts_of
from fleet.settings import SettingsError, StreamSettings, load_settings
from fleet.stack import NatsServer, OpenBaoServer, PostgresServer, SimulatorServer, free_port
from fleet.stack.process import ManagedProcess, StackError

# Vault credentials an operator's shell may carry: no service inherits them (vault gets its
# own token from fleet up).
VAULT_VARIABLES = ("FLEET_VAULT_", "VAULT_", "BAO_")


def without_vault_credentials(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` minus every Vault/OpenBao variable."""
    return {k: v for k, v in environ.items() if not k.startswith(VAULT_VARIABLES)}


# Every service process `fleet up` starts, in start order (one table, data-driven).
SERVICES = ("auth", "vault", "strategy", "executor", "gateway")
Ask = Callable[[str, bytes], bytes]  # NATS request: subject, body -> reply body


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# "No responders": the service is up but its subscription is not live yet (just started).
# Nobody received the command, so asking again is safe: every 0.5 s (less up to 0.05 s of
# jitter), for 5 s at most.
NO_RESPONDER_ATTEMPTS = 11
NO_RESPONDER_PAUSE_S = 0.5
NO_RESPONDER_JITTER_S = 0.05


def nats_asker(url: str, timeout: float = 30.0) -> Ask:
    """A blocking NATS request on its own connection, asked again while nobody listens."""

    def ask(subject: str, body: bytes) -> bytes:
        async def request() -> bytes:
            nc = await nats.connect(url, max_reconnect_attempts=1)
            try:
                async for attempt in attempts_of(
                    NoRespondersError,
                    attempts=NO_RESPONDER_ATTEMPTS,
                    first_pause_s=NO_RESPONDER_PAUSE_S,
                    jitter_s=NO_RESPONDER_JITTER_S,
                    growth=1,
                ):
                    with attempt:
                        return bytes((await nc.request(subject, body, timeout=timeout)).data)
                raise AssertionError("unreachable: the last attempt returns or raises")
            finally:
                await nc.close()

        return asyncio.run(request())

    return ask


# NATS away, slow or without a responder; or an answer that is not a reply
_NO_ANSWER: tuple[type[Exception], ...] = (*NATS_TROUBLE, ValidationError)


def bootstrap_admin(ask: Ask, env: Mapping[str, str], say: Callable[[str], None]) -> None:
    """Ask auth for the first admin (it creates one only while none exists, so this runs
    at every ``fleet up``): FLEET_ADMIN_USERNAME / FLEET_ADMIN_PASSWORD when set, else
    ``admin`` with a one-time password, printed here once. Never fails the stack."""
    command = BootstrapAdmin(
        username=env.get("FLEET_ADMIN_USERNAME") or "admin",
        password=env.get("FLEET_ADMIN_PASSWORD") or None,
    )
    try:
        answer = ask(command_subject(command), command.model_dump_json().encode())
        reply = Reply[AdminBootstrapped].model_validate_json(answer)
    except _NO_ANSWER as exc:  # say so and keep the stack up
        say(f"first admin not created: auth did not answer ({type(exc).__name__})")
        return
    admin = reply.data
    if admin is None:
        reason = reply.error.message if reply.error else "no reason given"
        say(f"first admin not created: {reason}; use fleet admin create")
    elif admin.password:
        say(
            f"first admin: {admin.username}, one-time password {admin.password} "
            "(shown once; to be changed at the first login)"
        )
        say(TWO_FACTOR_NEXT)
    elif admin.created:
        say(f"first admin: {admin.username} created")
        say(TWO_FACTOR_NEXT)


TWO_FACTOR_NEXT = (
    "then enrol in two-factor authentication (My account > Two-factor authentication, "
    "an authenticator app); an admin reaches nothing else before"
)


@dataclass
class PlatformOptions:
    """What ``fleet up`` was asked for."""

    data_dir: Path
    http_port: int = 8080
    sim_speed: float = 60.0
    log_level: str = "info"


def _env_int(variable: str, default: int) -> int:
    """A positive integer from the environment, or a clear error naming the variable."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise StackError(f"{variable} must be a positive integer")
    return int(value)


def _http_ok(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


@dataclass
class Platform:
    """The running parts, in start order."""

    options: PlatformOptions
    nats: NatsServer | None = None
    postgres: PostgresServer | None = None
    openbao: OpenBaoServer | None = None
    processes: list[ManagedProcess] = field(default_factory=list)
    parts: dict[str, Part] = field(default_factory=dict)

    def start(self, report: Callable[[str], None]) -> None:
        """Start everything; on any failure stop what started and re-raise."""
        try:
            self._start_servers(report)
            self._start_simulator(report)
            for name in SERVICES:
                self._start_service(name, report)
            start_notifications(self, report)
            assert self.nats is not None
            bootstrap_admin(nats_asker(self.nats.admin_url), os.environ, _stderr)
        except BaseException:
            self.stop()
            raise

    def _start_servers(self, report: Callable[[str], None]) -> None:
        root = self.options.data_dir
        self.nats = NatsServer(root / "nats")
        self.nats.start()
        self.parts["nats"] = Part(
            url=self.nats.public_url,
            pid=self.nats.process.pid,
            health_url=f"http://127.0.0.1:{self.nats.monitor_port}/healthz",
        )
        report("nats")
        self.postgres = PostgresServer(root / "postgres")
        self.postgres.start()
        database_url = self.postgres.create_database("fleet")
        engine = create_engine(database_url)
        try:
            migrate(engine)
        finally:
            # an idle pooled connection left open would hold PostgreSQL's smart shutdown
            # (SIGTERM) until its stop timeout: 20 s at every fleet up's Ctrl-C
            engine.dispose()
        self.parts["postgres"] = Part(
            url=self.postgres.public_dsn("fleet"),
            pid=self.postgres.process.pid,
            health_url=f"tcp://127.0.0.1:{self.postgres.port}",
        )
        report("postgres")
        self.openbao = OpenBaoServer(root / "openbao")
        self.openbao.start()
        self.parts["vault"] = Part(
            url=self.openbao.addr,
            pid=self.openbao.process.pid,
            health_url=f"{self.openbao.addr}/v1/sys/health",
        )
        report("vault")
        try:
            limits = load_settings(StreamSettings)
        except SettingsError as exc:
            raise StackError(str(exc)) from None
        log = StreamSpec(max_bytes=limits.event_log_max_bytes)
        telemetry = (limits.telemetry_max_age_days, limits.telemetry_max_bytes)
        asyncio.run(ensure_domain_stream(self.nats.admin_url, log, telemetry=telemetry))
        report("event stream")

    def _start_simulator(self, report: Callable[[str], None]) -> None:
        simulator = SimulatorServer(self.options.data_dir / "logs", speed=self.options.sim_speed)
        self.processes.append(simulator.process)
        simulator.start()
        self.parts["bingx_sim"] = Part(
            url=simulator.url, pid=simulator.process.pid, health_url=f"{simulator.url}/healthz"
        )
        report("bingx_sim")

    def _start_service(self, name: str, report: Callable[[str], None]) -> None:
        # several auth processes share the logins (queue group "auth"): argon2 on every core
        workers = _env_int("FLEET_AUTH_WORKERS", 1) if name == "auth" else 1
        for worker in range(1, workers + 1):
            port = self.options.http_port if name == "gateway" else free_port()
            url = f"http://127.0.0.1:{port}"
            part = "vault_service" if name == "vault" else name  # "vault" is OpenBao itself
            part += f"-{worker}" if worker > 1 else ""
            argv = [sys.executable, "-m", f"fleet.{name}"]
            self._launch(part, argv, self._env(name, port), url, f"{url}/healthz")
            report(part)

    def _env(self, name: str, port: int) -> dict[str, str]:
        assert self.nats and self.postgres and self.openbao
        env = without_vault_credentials(os.environ)
        env |= {
            **self.nats.env_for(name),
            "FLEET_DATABASE_URL": self.postgres.url("fleet"),
            "FLEET_BINGX_BASE_URL": self.parts["bingx_sim"].url,
            # the simulator stands for BingX VST too; every badge says SIMULATOR
            "FLEET_BINGX_DEMO_BASE_URL": self.parts["bingx_sim"].url,
            "FLEET_BINGX_SIMULATED": "true",
            "FLEET_HTTP_HOST": "127.0.0.1",
            "FLEET_HTTP_PORT": str(port),
            "FLEET_LOG_LEVEL": self.options.log_level,
        }
        if name == "vault":
            env |= self._vault_env()
        if name == "gateway":
            env["FLEET_COOKIE_SECURE"] = "false"  # the local stack serves plain http
            env["FLEET_TRUSTED_PROXIES"] = ""  # clients connect directly: no header believed
            env["FLEET_DEV_MAIL_DIR"] = str(self.options.data_dir / "mails")  # /dev/mails
        return env

    def _vault_env(self) -> dict[str, str]:
        """Only the vault service gets a Vault token (policy fleet-vault), as the 0600 file
        OpenBao's data dir keeps rather than a value in its environment."""
        assert self.openbao
        token = self.openbao.vault_service_token()
        token_file = self.openbao.vault_service_token_file()
        env = {"FLEET_VAULT_ADDR": self.openbao.addr}
        if token_file is None:  # dev mode keeps no file
            return env | {"FLEET_VAULT_TOKEN": token}
        return env | {"FLEET_VAULT_TOKEN_FILE": str(token_file)}

    def _launch(
        self, name: str, argv: list[str], env: dict[str, str], url: str, health: str
    ) -> None:
        process = ManagedProcess(
            name, argv, self.options.data_dir / "logs" / f"{name}.log", env=env
        )
        self.processes.append(process)
        process.start()
        process.wait_until(_http_ok(health), timeout=60)
        self.parts[name] = Part(url=url, pid=process.pid, health_url=health)

    def state(self) -> StackState:
        """What to write to stack.json."""
        return StackState(supervisor_pid=os.getpid(), parts=self.parts)

    def stop(self) -> None:
        """Stop in reverse order; never leave a process behind."""
        for process in reversed(self.processes):
            process.stop()
        for server in (self.openbao, self.postgres, self.nats):
            if server is not None:
                server.stop()


__all__ = ["SERVICES", "Platform", "PlatformOptions", "StackError"]
