"""reused_heap: a task in a Dask worker keeps its freed memory, and gives it back after.

Measured with the process's minor page faults (``getrusage``), on 4-kB pages: a 16 MB
array allocated and freed 30 times is faulted in afresh each time when glibc maps it
(``MALLOC_TRIM_THRESHOLD_`` set, as Dask's nanny does: 122,910 faults here), and once
when the heap keeps it (4,071).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from ionoquake.scale.cluster import reused_heap

_FAULTS = """
import ctypes, resource
# 4-kB pages only: where the kernel can give transparent huge pages at that moment, a
# mapped array costs a few faults and the counts say nothing (PR_SET_THP_DISABLE = 41)
ctypes.CDLL("libc.so.6").prctl(41, 1, 0, 0, 0)
import numpy as np
from ionoquake.scale.cluster import reused_heap

def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(30):
        a = np.ones(4 * 2**20, np.float32)
        del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

plain = faults()
with reused_heap() as acted:
    kept = faults()
    with reused_heap():  # a task's inner block: the outer one's thresholds hold after it
        pass
    kept_after_inner = faults()
print(acted, plain, kept, faults(), kept_after_inner)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_a_task_keeps_its_freed_memory_where_dask_set_the_trim_threshold() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")}
    out = subprocess.run([sys.executable, "-c", _FAULTS],
                         env={**env, "MALLOC_TRIM_THRESHOLD_": "65536"},
                         capture_output=True, text=True, check=True).stdout.split()
    acted, (plain, kept, after, inner) = out[0] == "True", map(int, out[1:])
    assert acted
    assert kept < plain / 5, (plain, kept)
    assert inner < plain / 5, (plain, inner)
    assert after > 5 * kept, "the worker's own setting should be back after the task"


def test_without_the_variables_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    with reused_heap() as acted:
        assert not acted


def test_the_local_cluster_runs_its_workers_without_the_profiler() -> None:
    pytest.importorskip("distributed")
    import dask

    from ionoquake.scale.cluster import dask_client

    def profiler() -> bool:
        return bool(dask.config.get("distributed.worker.profile.enabled"))

    with dask_client(workers=1, memory_limit="1GB") as client:
        assert set(client.run(profiler).values()) == {False}
    # only the workers: the caller's configuration is as it was
    assert dask.config.get("distributed.worker.profile.enabled") is True


def test_a_task_returns_bad_input_and_the_client_raises_it() -> None:
    from ionoquake.errors import InputError
    from ionoquake.scale.cluster import TaskError, errors_returned, raise_returned

    def task(x: int) -> int:
        if x < 0:
            raise InputError(f"x.txt line {-x}: negative")
        return 2 * x

    assert errors_returned(task)(3) == 6
    returned = errors_returned(task)(-4)
    assert isinstance(returned, TaskError) and str(returned.error) == "x.txt line 4: negative"

    class Client:  # what raise_returned asks of a distributed.Client
        def __init__(self) -> None:
            self.cancelled: list[str] = []

        def cancel(self, futures: list[str]) -> None:
            self.cancelled += futures

    client = Client()
    assert raise_returned(6, client, ["a", "b"]) == 6 and client.cancelled == []
    with pytest.raises(InputError, match="x.txt line 4: negative"):
        raise_returned(returned, client, ["a", "b"])
    assert client.cancelled == ["a", "b"]  # the other tasks are not left running
    with pytest.raises(ZeroDivisionError):  # a bug stays a bug: the worker raises it
        errors_returned(lambda: 1 / 0)()
