"""Command-line settings of the simulator (``bingx-sim --help``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SYMBOLS = ("BTC-USDT", "ETH-USDT", "XRP-USDT", "SOL-USDT", "DOGE-USDT")


@dataclass(frozen=True)
class SimSettings:
    """How the simulator runs."""

    host: str = "127.0.0.1"
    port: int = 8090
    seed: int = 1
    speed: float = 60.0  # simulated seconds per real second
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    candles: tuple[Path, ...] = ()
    rate_limits: bool = True
    snapshot: Path | None = None
    push_interval_s: float = 0.25
    # Strict: BingX's rules as its spec gives them where a kinder simulator would hide a
    # client's mistake (one spelling per endpoint, lowercase hex signatures, timestamps
    # in the future refused, the USDC balance row with "" numbers). The default.
    strict: bool = True
    # BingX sends no final push of a closed candle; ``--final-push`` sends one anyway.
    final_push: bool = False


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return number


def parse_args(argv: list[str] | None = None) -> SimSettings:
    """Parse the command line; bad input exits with a usage message and code 2."""
    parser = argparse.ArgumentParser(prog="bingx-sim", description="A local BingX.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--speed",
        type=_positive,
        default=60.0,
        help="simulated seconds per real second (60: a 5m candle every 5 s)",
    )
    parser.add_argument("--symbols", default=",".join(DEFAULT_SYMBOLS))
    parser.add_argument("--candles", type=Path, nargs="*", default=[])
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument(
        "--final-push",
        action="store_true",
        help="push a closed candle's final state before the next one (BingX does not)",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept what BingX may refuse (both spellings, uppercase hex, future timestamps)",
    )
    parser.add_argument(
        "--push-interval",
        type=_positive,
        default=0.25,
        help="seconds between market WebSocket pushes per topic",
    )
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="load accounts from this JSON file at start, save them at exit",
    )
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error("--port must be 1-65535")
    symbols = tuple(s.strip() for s in args.symbols.split(",") if s.strip())
    for candles in args.candles:
        if not candles.is_file():
            parser.error(f"--candles {candles}: no such file")
    return SimSettings(
        args.host,
        args.port,
        args.seed,
        args.speed,
        symbols,
        tuple(args.candles),
        not args.no_rate_limits,
        args.snapshot,
        args.push_interval,
        strict=not args.lenient,
        final_push=args.final_push,
    )
