"""Commands (imperative, request-reply over NATS) and their one reply shape.

A command is sent to ``cmd.<service>.<name>`` (built by :func:`command_subject`); the
handler answers a :class:`Reply`: ``ok`` with a typed payload, or an error (code, message,
details). Domain failures are replies with an error code, never exceptions across the wire.
Each command's payload is a :class:`ReplyPayload` declared beside it (``Authenticated`` for
``Authenticate``, ``BotChanged`` for ``StartBot``...): handlers answer
``Reply[Payload].accepted(...)``, callers read it with ``CommandReply.typed(Payload)``.

On the wire every reply is ``{"ok", "data", "error"}``, a refusal's ``data`` being ``{}``;
:class:`CommandReply` is the untyped view (``data`` a dict) that reads any of them, and
:meth:`CommandReply.typed` turns it into the typed ``Reply[T]`` of the command.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_serializer,
    model_validator,
)

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


class ReplyPayload(BaseModel):
    """Base of what an accepted command answers: frozen, every field on the wire."""

    model_config = ConfigDict(frozen=True)


class SparseReplyPayload(ReplyPayload):
    """A payload whose optional fields left at ``None`` are not sent at all (the reply
    carries the key only when there is something to say, e.g. a generated password)."""

    @model_serializer(mode="wrap")
    def _without_none(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


PayloadT = TypeVar("PayloadT")
OtherT = TypeVar("OtherT")


class Reply(BaseModel, Generic[PayloadT]):
    """The answer to a command: ``ok`` with its typed ``data``, or an ``error``."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    data: PayloadT | None = None
    error: CommandError | None = None

    @model_validator(mode="before")
    @classmethod
    def _refusal_has_no_payload(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("ok") is False and value.get("data") == {}:
            return {key: item for key, item in value.items() if key != "data"}
        return value

    @field_serializer("data")
    def _data_on_the_wire(self, data: Any) -> Any:
        return {} if data is None else data

    @classmethod
    def accepted(cls, data: PayloadT) -> Reply[PayloadT]:
        """An accepted command and what it answers."""
        return cls(ok=True, data=data)

    @classmethod
    def refused(cls, code: ErrorCode, message: str, **details: Any) -> Reply[PayloadT]:
        """A refused command."""
        return cls(ok=False, error=CommandError(code=code, message=message, details=details))

    def payload(self) -> PayloadT:
        """The data of an accepted reply (a refused one has none: :class:`ValueError`)."""
        if not self.ok or self.data is None:
            raise ValueError(f"the command was refused: {self.error}")
        return self.data

    def wire(self) -> CommandReply:
        """This reply as the untyped view every subscriber sends (the same JSON)."""
        return CommandReply.model_validate(self.model_dump(mode="json"))


class CommandReply(Reply[dict[str, Any]]):
    """The untyped view of any reply: ``data`` is the JSON object as sent, ``sequence``
    the last stream sequence the command appended (absent when it appended nothing)."""

    data: dict[str, Any] = Field(default_factory=dict)
    sequence: int | None = None

    @model_serializer(mode="wrap")
    def _sequence_when_known(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        if dumped.get("sequence") is None:
            dumped.pop("sequence", None)  # the wire of a reply that wrote nothing is unchanged
        return dumped

    @classmethod
    def success(cls, **data: Any) -> CommandReply:
        """An accepted command."""
        return cls(ok=True, data=data)

    @classmethod
    def failure(cls, code: ErrorCode, message: str, **details: Any) -> CommandReply:
        """A refused command."""
        return cls(ok=False, error=CommandError(code=code, message=message, details=details))

    def typed(self, payload_type: type[OtherT]) -> Reply[OtherT]:
        """The typed reply of a command whose payload is ``payload_type`` (validated)."""
        typed: type[Reply[OtherT]] = Reply[payload_type]  # type: ignore[valid-type]
        return typed.model_validate(self.model_dump(mode="json"))


def command_subject(command: type[Command] | Command) -> str:
    """``cmd.<service>.<name>``: where a command is sent."""
    return f"cmd.{command.service}.{command.name}"
