"""Where a read message sits in the stream, from its JetStream reply subject."""

import pytest
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

from fleet.eventstore.pull import batch_positions, reply_position


def message(reply: str) -> Msg:
    return Msg(_client=None, subject="ev.acct.a", reply=reply, data=b"{}")  # type: ignore[arg-type]


def _position(msg: Msg) -> tuple[int, int]:
    return batch_positions([msg])[0]


def test_the_sequence_and_pending_come_from_both_ack_subject_forms() -> None:
    assert _position(message("$JS.ACK.EV.reader_1.1.4021.17.1733250000000000000.9")) == (4021, 9)
    with_domain = "$JS.ACK.hub.ACCHASH.EV.reader_1.1.4021.17.1733250000000000000.9.x7Yz"
    assert _position(message(with_domain)) == (4021, 9)


@pytest.mark.parametrize(
    "form",
    [
        "$JS.ACK.EV.reader_1.1.{seq}.{cseq}.1733250000000000000.{pending}",
        "$JS.ACK.hub.ACCHASH.EV.reader_1.1.{seq}.{cseq}.1733250000000000000.{pending}.x7Yz",
    ],
)
def test_a_batch_reads_every_sequence_and_counts_pending_back_from_its_last(form: str) -> None:
    """Stream sequences with gaps (a filtered reader); the last one's pending is read, the
    others' counted back from it (here 2 more were appended while the batch was sent)."""
    sequences, pendings = [7, 9, 40, 41], [13, 12, 11, 8]
    batch = [
        message(form.format(seq=seq, cseq=i + 1, pending=pending))
        for i, (seq, pending) in enumerate(zip(sequences, pendings, strict=True))
    ]
    assert batch_positions(batch) == [(7, 11), (9, 10), (40, 9), (41, 8)]
    caught_up = [message(form.format(seq=s, cseq=s, pending=p)) for s, p in ((5, 1), (6, 0))]
    assert batch_positions(caught_up) == [(5, 1), (6, 0)]  # 0 only for the last one there


def test_a_batch_whose_other_messages_are_of_another_shape_reads_each_whole() -> None:
    batch = [
        message("$JS.ACK.hub.ACCHASH.EV.reader_1.1.3.1.1733250000000000000.1.x7Yz"),
        message("$JS.ACK.EV.reader_1.1.4.2.1733250000000000000.0"),
    ]
    assert batch_positions(batch) == [(3, 1), (4, 0)]


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
