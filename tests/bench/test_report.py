"""``bench/report.py --only``: the benchmarks re-run replace theirs, the others' last
figures are kept, each naming when and at which commit it ran."""

from pathlib import Path

import pytest

from bench import report
from bench.report import BENCHES, Outcome, previous, render

pytestmark = pytest.mark.unit
BY_NAME = {bench.name: bench for bench in BENCHES}


def outcome(name: str, figure: str, ran: str, failed: str | None = None) -> Outcome:
    output = f"some line\n  -> {figure}; goal >= 1\nlast line"
    return Outcome(BY_NAME[name], output, 12.0, failed, "started at load 0.50 after 3 s", ran)


def test_a_report_reads_back_as_the_outcomes_it_was_written_from(tmp_path: Path) -> None:
    written = [
        outcome("eventstore", "replay 1", "2026-12-01 10:00 UTC at aaaaaaa"),
        outcome("fanout", "p99 2", "2026-12-02 11:00 UTC at bbbbbbb", failed="exit code 1"),
    ]
    path = tmp_path / "REPORT.md"
    path.write_text(render(written, quick=False))
    read = previous(path)
    assert list(read) == ["eventstore", "fanout"]
    for before in written:
        after = read[before.bench.name]
        assert (after.output, after.calm, after.ran) == (before.output, before.calm, before.ran)
        assert after.failed == before.failed
    assert read["eventstore"].seconds == 12.0
    assert render(list(read.values()), quick=False) == path.read_text()  # stable


def test_only_replaces_what_it_ran_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "REPORT.md"
    path.write_text(
        render(
            [
                outcome("eventstore", "replay 1", "2026-12-01 10:00 UTC at aaaaaaa"),
                outcome("fanout", "p99 2", "2026-12-01 10:30 UTC at aaaaaaa"),
            ],
            quick=False,
        )
    )
    ran: list[str] = []

    def run(bench: report.Bench, quick: bool) -> Outcome:
        ran.append(bench.name)
        return outcome(bench.name, "replay 3", "2026-12-04 20:00 UTC at ccccccc")

    monkeypatch.setattr(report, "run", run)
    monkeypatch.setattr("sys.argv", ["report", "--only", "eventstore", "--output", str(path)])
    assert report.main() == 0
    assert ran == ["eventstore"]
    text = path.read_text()
    assert "replay 3" in text and "replay 1" not in text
    assert "p99 2" in text  # fanout kept, with when it ran
    assert "ran 2026-12-01 10:30 UTC at aaaaaaa" in text
    assert "ran 2026-12-04 20:00 UTC at ccccccc" in text


def test_a_missing_report_keeps_nothing(tmp_path: Path) -> None:
    assert previous(tmp_path / "nothing.md") == {}
