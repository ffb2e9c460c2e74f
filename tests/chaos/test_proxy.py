"""The chaos proxy itself: seeded plans, real resets and stalls, bounds, loopback only."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from stubs.emulator.runtime import Emulator, EmulatorInfo, EmulatorThread
from tests.chaos.proxy import (
    BLACKHOLE,
    GATEWAY,
    KUBE_API,
    ChaosProfile,
    ChaosProxy,
    Fate,
    plan_for,
)


@pytest.fixture(scope="module")
def api() -> Iterator[EmulatorInfo]:
    thread = EmulatorThread(Emulator())
    yield thread.start()
    thread.stop()


def _port(info: EmulatorInfo) -> int:
    return int(info.api_url.rsplit(":", 1)[1])


def _get(proxy: ChaosProxy, info: EmulatorInfo, timeout: float = 3.0) -> int | str:
    try:
        return httpx.get(f"http://{proxy.url_host}/version", timeout=timeout,
                         headers={"Authorization": f"Bearer {info.token}"}).status_code
    except httpx.HTTPError as e:
        return type(e).__name__


def test_a_seed_fixes_the_fault_plan() -> None:
    for profile in (KUBE_API, GATEWAY):
        a = [plan_for(profile, 11, n) for n in range(200)]
        assert a == [plan_for(profile, 11, n) for n in range(200)]
        assert a != [plan_for(profile, 12, n) for n in range(200)]
        faults = sum(p.fate is not Fate.CLEAN for p in a)
        assert 0 < faults < 200
        assert all(0.0 <= p.latency <= profile.latency for p in a)


def test_resets_reach_the_client_and_the_same_seed_replays_them(api: EmulatorInfo) -> None:
    profile = ChaosProfile(reset_at_accept=0.3, reset_midway=0.3, midway_bytes=(1, 64))
    runs = []
    for _ in range(2):
        with ChaosProxy(_port(api), profile, seed=5) as proxy:
            outcomes = [_get(proxy, api) for _ in range(30)]
        runs.append((outcomes, proxy.log.faults))
    (first, faults), (second, faults_again) = runs
    assert faults == faults_again  # one connection per request here: same plan, same faults
    # The client's error class for a reset depends on when the RST lands; the outcome not.
    assert [o == 200 for o in first] == [o == 200 for o in second]
    assert 200 in first and any(isinstance(o, str) for o in first)


def test_faults_are_bounded_in_count(api: EmulatorInfo) -> None:
    profile = ChaosProfile(reset_at_accept=1.0, max_faults=3)
    with ChaosProxy(_port(api), profile, seed=1) as proxy:
        outcomes = [_get(proxy, api) for _ in range(6)]
    assert outcomes[3:] == [200, 200, 200]
    assert len(proxy.log.faults) == 3


def test_a_stalled_connection_is_half_open_until_the_client_times_out(api: EmulatorInfo
                                                                       ) -> None:
    with ChaosProxy(_port(api), BLACKHOLE, seed=2) as proxy:
        assert _get(proxy, api, timeout=0.5) == "ReadTimeout"
        assert proxy.log.count(Fate.STALL) == 1


def test_the_proxy_listens_on_loopback_only(api: EmulatorInfo) -> None:
    with ChaosProxy(_port(api), GATEWAY, seed=3) as proxy:
        assert proxy._server is not None
        hosts = {s.getsockname()[0] for s in proxy._server.sockets}
        assert hosts == {"127.0.0.1"}
        other = _non_loopback_address()
        if other is None:
            pytest.skip("this machine has no non-loopback IPv4 address to try")
        with pytest.raises(OSError):
            socket.create_connection((other, proxy.port), timeout=1).close()


def _non_loopback_address() -> str | None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
        addr = s.getsockname()[0]
    except OSError:
        return None
    finally:
        s.close()
    return None if addr.startswith("127.") else addr
