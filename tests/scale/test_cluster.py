"""reused_heap: a task in a Dask worker keeps its freed memory, and gives it back after.

Measured with the process's minor page faults (``getrusage``): a 16 MB array
allocated and freed 30 times is faulted in afresh each time when glibc maps it
(``MALLOC_TRIM_THRESHOLD_`` set, as Dask's nanny does: ~15 600 faults here, numpy
asking for huge pages), and once when the heap keeps it (~500).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from ionoquake.scale.cluster import reused_heap

_FAULTS = """
import resource, numpy as np
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
print(acted, plain, kept, faults())
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_a_task_keeps_its_freed_memory_where_dask_set_the_trim_threshold() -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")}
    out = subprocess.run([sys.executable, "-c", _FAULTS],
                         env={**env, "MALLOC_TRIM_THRESHOLD_": "65536"},
                         capture_output=True, text=True, check=True).stdout.split()
    acted, (plain, kept, after) = out[0] == "True", map(int, out[1:])
    assert acted
    assert kept < plain / 5, (plain, kept)
    assert after > 5 * kept, "the worker's own setting should be back after the task"


def test_without_the_variables_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    with reused_heap() as acted:
        assert not acted
