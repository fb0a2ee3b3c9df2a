"""A real Dask cluster for the scale tests: ``dask scheduler`` and two ``dask worker`` processes.

Each process is started in its own session on 127.0.0.1 with free ports, one thread
and a small memory limit, without a nanny (so that killing a worker's process really
loses that worker, as a node failure does), and is killed when the fixture ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ionoquake.store import maps
from tests.conftest import SHARED_DATA

pytest.importorskip("distributed")

DASK = Path(sys.executable).with_name("dask")
JPL_DIR = SHARED_DATA / "ionex" / "jpl_2000326-2001014"
#: Per worker; a worker with the imports is ~250 MB, a month task of the JPL grid ~300 MB more.
WORKER_MEMORY = "1GB"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A scheduler and its worker processes; ``kill(i)`` kills worker ``i`` (SIGKILL)."""

    def __init__(self, n_workers: int, log_dir: Path) -> None:
        self.address = f"tcp://127.0.0.1:{_free_port()}"
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.scheduler = self._start("scheduler", [str(DASK), "scheduler", "--host", "127.0.0.1",
                                                   "--port", self.address.rsplit(":", 1)[1],
                                                   "--no-dashboard"])
        self.workers = [self._start(f"worker{i}", [
            str(DASK), "worker", self.address, "--nthreads", "1", "--no-nanny",
            "--memory-limit", WORKER_MEMORY, "--no-dashboard", "--host", "127.0.0.1",
            "--name", f"w{i}", "--death-timeout", "60"]) for i in range(n_workers)]

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env={**os.environ,
                                                             "PYTHONUNBUFFERED": "1"})
        self.processes.append(proc)
        return proc

    def kill(self, i: int) -> None:
        os.killpg(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait(10)

    def close(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in self.processes:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture()
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A fresh scheduler with two single-thread workers (no nanny), torn down after the test."""
    from distributed import Client

    running = Cluster(2, tmp_path)
    try:
        with Client(running.address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def jpl_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive holding the 55 JPL days 2000-11-21 .. 2001-01-14 (2-hourly, odd hours)."""
    store = tmp_path_factory.mktemp("jpl_store")
    for path in sorted(JPL_DIR.glob("jplg*.gz")):
        maps.ingest_file(store, path)
    return store
