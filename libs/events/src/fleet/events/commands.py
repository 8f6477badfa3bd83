"""Commands (imperative, request-reply over NATS) and their one reply shape.

A command is sent to ``cmd.<service>.<name>`` (built by :func:`command_subject`); the
handler answers a :class:`CommandReply`. Domain failures are replies with an error code,
never exceptions across the wire.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from fleet.events.bounds import IdText, IpText

ErrorCode = Literal[
    "invalid",  # bad input: details name the field
    "not_found",
    "conflict",  # e.g. username taken, concurrent change
    "forbidden",
    "unauthenticated",  # wrong credentials (never says which part)
    "locked",
    "throttled",  # retry after details["retry_after_s"]
    "unavailable",  # a dependency is down; safe to retry
]


class Actor(BaseModel):
    """Who asks: the user behind the request (or ``system``) and from where."""

    model_config = ConfigDict(frozen=True)

    user_id: IdText = "system"
    role: Literal["admin", "trader", "viewer", "system"] = "system"
    ip: IpText = ""


class Command(BaseModel):
    """Base of every command: frozen, strict, named, sent on behalf of an actor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ClassVar[str]
    name: ClassVar[str]
    actor: Actor = Field(default_factory=Actor)
    correlation_id: str | None = None


class CommandError(BaseModel):
    """Why a command was refused."""

    model_config = ConfigDict(frozen=True)

    code: ErrorCode
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class CommandReply(BaseModel):
    """The answer to every command: ``ok`` with data, or an error."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    data: dict[str, Any] = Field(default_factory=dict)
    error: CommandError | None = None

    @classmethod
    def success(cls, **data: Any) -> CommandReply:
        """An accepted command."""
        return cls(ok=True, data=data)

    @classmethod
    def failure(cls, code: ErrorCode, message: str, **details: Any) -> CommandReply:
        """A refused command."""
        return cls(ok=False, error=CommandError(code=code, message=message, details=details))


def command_subject(command: type[Command] | Command) -> str:
    """``cmd.<service>.<name>``: where a command is sent."""
    return f"cmd.{command.service}.{command.name}"
