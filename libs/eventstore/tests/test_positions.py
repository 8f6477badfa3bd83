"""Where a read message sits in the stream, from its JetStream reply subject."""

import pytest
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

from fleet.eventstore.pull import reply_position
from fleet.eventstore.store import _position


def message(reply: str) -> Msg:
    return Msg(_client=None, subject="ev.acct.a", reply=reply, data=b"{}")  # type: ignore[arg-type]


def test_the_sequence_and_pending_come_from_both_ack_subject_forms() -> None:
    assert _position(message("$JS.ACK.EV.reader_1.1.4021.17.1733250000000000000.9")) == (4021, 9)
    with_domain = "$JS.ACK.hub.ACCHASH.EV.reader_1.1.4021.17.1733250000000000000.9.x7Yz"
    assert _position(message(with_domain)) == (4021, 9)


def test_the_consumer_sequence_too_in_both_forms() -> None:
    """The raw pull reader's gap check reads the consumer sequence (17 here); with a domain
    it once read the time token instead."""
    plain = "$JS.ACK.EV.reader_1.1.4021.17.1733250000000000000.9"
    with_domain = "$JS.ACK.hub.ACCHASH.EV.reader_1.1.4021.17.1733250000000000000.9.x7Yz"
    assert reply_position(message(plain)) == (4021, 17, 9)
    assert reply_position(message(with_domain)) == (4021, 17, 9)


def test_anything_else_is_left_to_nats_py() -> None:
    # an ack subject of another shape: nats-py's own parser decides (and refuses this one)
    with pytest.raises(NotJSMessageError):
        _position(message("$JS.ACK.EV.reader_1.1.x.17"))
    with pytest.raises(ValueError, match="'x'"):  # the right length, a token that is no number
        _position(message("$JS.ACK.EV.reader_1.1.x.17.1733250000000000000.9"))
