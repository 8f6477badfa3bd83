"""``python -m fleet.eventstore`` (compose's and Kubernetes' stream-init job) applies the
same limits as ``fleet up``: the event log's byte limit included (it once had none there)."""

import os
import subprocess
import sys

import nats
import pytest

pytestmark = pytest.mark.integration
MIB = 1024**2


def stream_init(nats_url: str, namespace: str, **limits: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FLEET_NATS_URL": nats_url,
        "FLEET_STREAM_NAME": f"EV_{namespace}",
        "FLEET_SUBJECT_PREFIX": namespace,
        **limits,
    }
    argv = [sys.executable, "-m", "fleet.eventstore"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


async def test_stream_init_applies_the_log_and_telemetry_limits(
    nats_url: str, namespace: str
) -> None:
    done = stream_init(
        nats_url,
        namespace,
        FLEET_EVENT_LOG_MAX_BYTES=str(2 * MIB),
        FLEET_TELEMETRY_MAX_BYTES=str(MIB),
        FLEET_TELEMETRY_MAX_AGE_DAYS="2",
    )
    assert done.returncode == 0, done.stderr
    assert f"limit {2 * MIB} bytes" in done.stdout
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        log = await js.stream_info(f"EV_{namespace}")
        telemetry = await js.stream_info(f"TM_EV_{namespace}")
    finally:
        await nc.close()
    assert log.config.max_bytes == 2 * MIB
    assert (telemetry.config.max_bytes, telemetry.config.max_age) == (MIB, 2 * 24 * 3600.0)


def test_a_bad_limit_exits_with_2_and_names_it(nats_url: str, namespace: str) -> None:
    done = stream_init(nats_url, namespace, FLEET_EVENT_LOG_MAX_BYTES="ten gigabytes")
    assert done.returncode == 2
    assert "FLEET_EVENT_LOG_MAX_BYTES" in done.stderr and "Traceback" not in done.stderr
