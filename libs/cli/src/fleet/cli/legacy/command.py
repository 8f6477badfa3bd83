"""``fleet import legacy``: a single-user bot's SQLite trades and ``.env`` into Fleet.

Everything is read and checked before anything is stored: a row it cannot read, a
``--map`` it does not understand or a setting out of range is one line on stderr and exit
code 2, with nothing stored. The BingX secret is never printed; the ``.env`` is only read.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from fleet.cli.errors import CliError
from fleet.cli.events_commands import NoPlatform, admin_nats_url
from fleet.cli.legacy.files import back_up, bingx_key, env_values, settings_found, trade_rows
from fleet.cli.legacy.platform_link import PlatformLink, PlatformUnreachable, Refused
from fleet.cli.legacy.rows import (
    BadMapping,
    BadRow,
    LegacyTrade,
    column_fields,
    file_fingerprint,
    missing_fields,
    normalise_symbol,
    parse_mapping,
    read_rows,
)
from fleet.events.auth_commands import (
    AccountChanged,
    CreateUser,
    UpdateTradingSettings,
    UserRegistered,
)
from fleet.events.history import IMPORT_MAX, ImportedTrade, ImportTrades, TradesImported
from fleet.events.users import TradingSettings

imports = typer.Typer(name="import", help="Bring history into Fleet.", no_args_is_help=True)
MISMATCH_EXIT = 1


class CannotImport(CliError):
    """Bad input: one line on stderr, exit code 2, nothing stored."""

    error_code = "legacy_cannot_import"


@dataclass(frozen=True)
class LegacyFiles:
    """What the files say, read and checked (nothing stored yet)."""

    trades: list[LegacyTrade]
    key: tuple[str, str] | None
    settings: dict[str, Any]
    fingerprint: str = ""  # the file's identity, part of each trade's

    @property
    def file_pnl(self) -> Decimal:
        return sum((t.pnl for t in self.trades if t.pnl is not None), Decimal(0))

    @property
    def open_trades(self) -> int:
        return sum(t.is_open for t in self.trades)


def read_legacy(sqlite: Path, env: Path | None, mapping: Sequence[str]) -> LegacyFiles:
    """The checked contents of the files, or :class:`CannotImport` saying why."""
    try:
        columns, rows = trade_rows(sqlite)
        fields = column_fields(columns, parse_mapping(mapping))
    except sqlite3.Error as exc:
        raise CannotImport(f"{sqlite}: cannot read its trades table ({exc})") from None
    except BadMapping as exc:
        raise CannotImport(str(exc)) from None
    if missing := missing_fields(fields):
        raise CannotImport(f"no column for {', '.join(missing)} (name one with --map)")
    try:
        trades = read_rows(rows, fields)
    except BadRow as exc:
        raise CannotImport(f"row {exc.row_id}: {exc.reason}; nothing imported") from None
    values = env_values(env) if env is not None else {}
    settings = checked_settings(settings_found(values))
    return LegacyFiles(trades, bingx_key(values), settings, file_fingerprint(trades))


def checked_settings(found: dict[str, str]) -> dict[str, Any]:
    """The ``.env``'s settings as settings-API changes, validated the same way."""
    changes: dict[str, Any] = dict(found)
    if "symbols" in changes:
        try:
            raw = [s for s in found["symbols"].replace(";", ",").split(",") if s.strip()]
            changes["symbols"] = [normalise_symbol(s) for s in raw]
        except ValueError as exc:
            raise CannotImport(f"SYMBOLS: {exc}") from None
    try:
        TradingSettings.model_validate(changes)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise CannotImport(f"setting {where}: {error['msg']}") from None
    return changes


def as_imported(trade: LegacyTrade, user_id: str, fingerprint: str) -> ImportedTrade:
    return ImportedTrade(
        trade_id=trade.trade_id(user_id, fingerprint),
        source_id=trade.row_id,
        symbol=trade.symbol,
        direction=trade.direction,
        quantity=trade.quantity,
        entry_price=trade.entry_price,
        exit_price=trade.exit_price,
        realised_pnl=trade.pnl,
        fees=trade.fees,
        leverage=min(trade.leverage, 125),
        opened_at=trade.opened_at,
        closed_at=trade.closed_at,
        order_id=trade.order_id,
    )


@dataclass
class Outcome:
    imported: int = 0
    already_there: int = 0
    in_fleet: int = 0
    fleet_pnl: Decimal = Decimal(0)
    matched: int = 0  # open trades with a matching exchange position
    unmatched: list[str] = field(default_factory=list)  # "<row id>: why" for the others


async def store_legacy(
    link: PlatformLink, files: LegacyFiles, trader: tuple[str, str], operator: str
) -> Outcome:
    """As the admin ``operator``: create (or find) the trader (username, e-mail), connect
    his key, set his settings, import the trades."""
    await link.act_as(operator)
    typer.echo(f"acting as admin {operator}")
    user_id = await _trader(link, *trader)
    if files.key is not None:
        typer.echo("connecting the BingX key of the .env (verified with BingX first)")
        connected = await link.connect_key(user_id, *files.key)
        typer.echo(
            f"BingX key …{connected.api_key_last4} verified "
            f"({connected.account_type}, balance {connected.balance}) and kept in Vault"
        )
    if files.settings:
        await link.ask(
            UpdateTradingSettings(user_id=user_id, changes=files.settings), AccountChanged
        )
        typer.echo(f"settings taken from the .env: {', '.join(sorted(files.settings))}")
    outcome = Outcome()
    trades = [as_imported(t, user_id, files.fingerprint) for t in files.trades]
    for start in range(0, len(trades), IMPORT_MAX):
        chunk = tuple(trades[start : start + IMPORT_MAX])
        # open trades are compared with the exchange's positions through the key now in
        # Vault (the executor asks BingX, signed there); without a key none can match
        command = ImportTrades(
            user_id=user_id, source="legacy", trades=chunk, match_open=files.key is not None
        )
        answer = await link.ask(command, TradesImported)
        outcome.imported += answer.imported
        outcome.already_there += answer.already_there
        outcome.matched += answer.matched
        outcome.unmatched += answer.unmatched
    ids = {t.trade_id for t in trades}
    outcome.in_fleet, outcome.fleet_pnl = await link.imported_pnl(user_id, ids)
    return outcome


async def _trader(link: PlatformLink, username: str, email: str) -> str:
    typer.echo(f"looking for trader {username}")
    existing = await link.user_id_of(username)
    if existing is not None:
        typer.echo(f"trader {username} exists already (user id {existing})")
        return existing
    password = os.environ.get("FLEET_IMPORT_PASSWORD") or ""
    one_time = not password
    if one_time:
        password = secrets.token_urlsafe(18)
    command = CreateUser(
        username=username,
        password=password,
        email=email,
        role="trader",
        must_change_password=one_time,
    )
    created = await link.ask(command, UserRegistered)
    if one_time:
        typer.echo(
            f"trader {username} created (user id {created.user_id}), one-time password "
            f"{password} (shown once; to be changed at the first login)"
        )
    else:
        typer.echo(f"trader {username} created (user id {created.user_id})")
    return created.user_id


async def _store(url: str, files: LegacyFiles, trader: tuple[str, str], operator: str) -> Outcome:
    async with PlatformLink(url) as link:
        return await store_legacy(link, files, trader, operator)


def print_check(files: LegacyFiles, outcome: Outcome | None) -> bool:
    """The check; whether the file and Fleet agree."""
    rows = len(files.trades)
    typer.echo(f"rows read: {rows}")
    typer.echo(f"open trades in the file: {files.open_trades} (never opened by the import)")
    typer.echo(f"PnL sum in the file: {files.file_pnl}")
    if outcome is None:
        typer.echo(f"dry run: {rows} trades would be imported; nothing written")
        return True
    typer.echo(f"trades imported: {outcome.imported} (already there: {outcome.already_there})")
    typer.echo(f"open trades matched: {outcome.matched} of {files.open_trades}")
    for line in outcome.unmatched:
        typer.echo(f"  open trade without a BingX position (stored closed, unmatched): row {line}")
    typer.echo(f"trades of the file in Fleet: {outcome.in_fleet}")
    typer.echo(f"PnL sum in Fleet: {outcome.fleet_pnl}")
    agree = outcome.in_fleet == rows and outcome.fleet_pnl == files.file_pnl
    typer.echo("check: OK" if agree else "check: MISMATCH")
    return agree


def _back_up_all(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            typer.echo(f"backed up {path} to {back_up(path)}")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"fleet import legacy: {message}", err=True)
    return typer.Exit(2)


@imports.command("legacy")
def legacy(  # noqa: PLR0913, PLR0917 - one parameter per command-line option
    sqlite: Annotated[Path, typer.Option("--sqlite", help="The bot's SQLite database.")],
    username: Annotated[str, typer.Option("--as", help="The trader to create (or reuse).")],
    env: Annotated[
        Path | None, typer.Option("--env", help="The bot's .env (key, settings).")
    ] = None,
    email: Annotated[str, typer.Option(help="The trader's e-mail address.")] = "",
    mapping: Annotated[
        list[str] | None, typer.Option("--map", help="column=field for other column names.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only; write nothing.")] = False,
    actor: Annotated[
        str | None,
        typer.Option("--actor", envvar="FLEET_IMPORT_ACTOR", help="The admin running the import."),
    ] = None,
    nats_url: Annotated[
        str | None, typer.Option(envvar="FLEET_NATS_URL", help="NATS URL of an admin.")
    ] = None,
    data_dir: Annotated[
        Path, typer.Option(envvar="FLEET_DATA_DIR", help="Data dir of a running fleet up.")
    ] = Path(".fleet"),
) -> None:
    """Import a single-user bot: its trader, BingX key, settings and trades (see README)."""
    for path in (sqlite, env):
        if path is not None and not path.is_file():
            raise _fail(f"{path}: no such file")
    try:
        operator = actor or ""
        if not dry_run:
            if not operator:
                raise CannotImport(
                    "--actor: name the admin who runs the import (the audit names him)"
                )
            _back_up_all(sqlite, env)
        files = read_legacy(sqlite, env, mapping or [])
        if dry_run:
            print_check(files, None)
            return
        url = nats_url or admin_nats_url(data_dir.resolve())
        outcome = asyncio.run(_store(url, files, (username, email), operator))
    except (CannotImport, NoPlatform, PlatformUnreachable) as exc:
        raise _fail(str(exc)) from None
    except Refused as exc:
        raise _fail(f"refused: {exc}") from None
    if not print_check(files, outcome):
        raise typer.Exit(MISMATCH_EXIT)
