"""Which Dask cluster to run on, a progress bar fed by its scheduler, and its memory peaks.

The CLI's ``--scheduler tcp://HOST:PORT`` (or the ``IONOQUAKE_SCHEDULER``
environment variable) connects to a running scheduler; ``--workers N`` starts a
``LocalCluster`` of N single-threaded worker processes (:data:`LOCAL_WORKER_CONFIG`);
neither keeps today's in-process run (:func:`dask_client` yields None).
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ionoquake.errors import IonoquakeError

#: Environment variable naming the scheduler when ``--scheduler`` is not given.
SCHEDULER_ENV = "IONOQUAKE_SCHEDULER"


#: Dask settings of the workers of a ``LocalCluster`` that ionoquake starts: no statistical
#: profiler, which samples the running task's stack every 10 ms from the worker's
#: event-loop thread, taking the GIL from a Python-heavy task 100 times a second. Its cost
#: on a network's receivers is within this machine's noise (``benchmarks/
#: bench_gnss_network.py``: 2 workers at 94-95 % of two plain processes with it, 85-101 %
#: without); what it profiles matters to few users. The dashboard's "Profile" page stays
#: empty; start your own scheduler and workers (``--scheduler``) to keep it.
LOCAL_WORKER_CONFIG: dict[str, Any] = {"distributed.worker.profile.enabled": False}


class ClusterError(IonoquakeError):
    """A cluster that cannot be reached or started as asked."""


@dataclass(frozen=True)
class TaskError:
    """The :class:`~ionoquake.errors.IonoquakeError` of a task, returned, not raised: bad
    input that no retry mends, which a worker would log with its traceback (on the user's
    terminal, for a local cluster). :func:`raise_returned` raises it on the client."""

    error: IonoquakeError


def errors_returned(task: Callable[..., Any]) -> Callable[..., Any]:
    """``task`` returning its IonoquakeError as a :class:`TaskError` (to be submitted)."""

    @functools.wraps(task)
    def returning(*args: Any, **kwargs: Any) -> Any:
        try:
            return task(*args, **kwargs)
        except IonoquakeError as err:
            return TaskError(err)

    return returning


def raise_returned(value: Any, client: Any, futures: Sequence[Any]) -> Any:
    """``value``, a task's result; if it is a :class:`TaskError`, the other ``futures`` are
    cancelled and its error raised here."""
    if isinstance(value, TaskError):
        client.cancel(list(futures))
        raise value.error
    return value


def scheduler_address(option: str | None = None) -> str | None:
    """The scheduler to use: the option, else ``$IONOQUAKE_SCHEDULER``, else None."""
    return option or os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None, *,
                memory_limit: str | int = "auto", timeout_s: float = 30.0) -> Iterator[Any]:
    """A ``distributed.Client`` for the options, closed on exit; None for in-process.

    Parameters
    ----------
    scheduler
        ``tcp://HOST:PORT`` of a running scheduler (``$IONOQUAKE_SCHEDULER`` if None).
    workers
        Start a ``LocalCluster`` of this many worker processes, one thread each
        (ignored when a scheduler is given).
    memory_limit
        Per worker of the local cluster (``"2GB"``, bytes, or ``"auto"``).
    timeout_s
        How long to wait for the scheduler.
    """
    address = scheduler_address(scheduler)
    if address is None and not workers:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - depends on the installed extras
        raise ClusterError("--scheduler/--workers need the 'scale' extra: "
                           "pip install 'ionoquake[scale]'") from err
    if address is not None:
        try:
            client = Client(address, timeout=f"{timeout_s}s")
        except OSError as err:
            raise ClusterError(f"no Dask scheduler answers at {address}: {err}") from err
        with client:
            yield client
        return
    import dask

    with dask.config.set(LOCAL_WORKER_CONFIG):  # read by the nannies as they start
        cluster = LocalCluster(n_workers=int(workers or 1), threads_per_worker=1,
                               processes=True, memory_limit=memory_limit,
                               dashboard_address=_dashboard_address())
    with cluster, Client(cluster) as client:
        yield client


def _dashboard_address() -> str | None:
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return None
    return "127.0.0.1:0"


def describe(client: Any) -> str:
    """One line for the user: scheduler, workers, threads, and the dashboard link."""
    info = client.scheduler_info()
    workers = info.get("workers", {})
    threads = sum(w.get("nthreads", 0) for w in workers.values())
    try:
        import bokeh  # noqa: F401

        dashboard = f"dashboard {client.dashboard_link}"
    except ImportError:
        dashboard = "no dashboard (pip install bokeh)"
    return f"Dask scheduler {client.scheduler.address}: {len(workers)} workers, " \
           f"{threads} threads; {dashboard}"


@contextmanager
def task_progress(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar; yields the ``on_progress(done, total)`` callback to feed it.

    The distributed runs call it from ``distributed.as_completed``, i.e. as the
    scheduler reports each task finished.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=False) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


#: glibc ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: glibc's default for both, in force once either is set explicitly.
_GLIBC_DEFAULT_THRESHOLD = 128 * 1024
_MALLOC_ENV = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")
#: Blocks of reused_heap running in this process (nested, or in the threads of a worker):
#: the first to enter sets the thresholds, the last to leave restores them.
_heap_users = 0
_heap_lock = threading.Lock()


@contextmanager
def reused_heap(mmap_threshold_bytes: int = 32 * 2**20,
                trim_threshold_bytes: int = 256 * 2**20) -> Iterator[bool]:
    """Keep freed memory in the process while a task runs, in a Dask worker under glibc.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``
    (``distributed.nanny.pre-spawn-environ``) so that they hand freed memory back to
    the system. Setting it also freezes glibc's mmap threshold at 128 kB: every array
    of the task is then mapped fresh and its pages faulted in (zeroed) again, band
    after band. For a detection task that was ~2.8x the minor page faults and ~15 %
    of its time (a year of the benchmark's archive in one process: 8.1 s without the
    variable, 9.6 s with it). Inside the block, arrays up to ``mmap_threshold_bytes``
    come from the heap and up to ``trim_threshold_bytes`` of freed memory stays there;
    on exit the values of the environment (or glibc's 128 kB) come back and
    ``malloc_trim(0)`` returns the freed memory, as the worker expects. The peak
    memory of the task is unchanged. Yields True when it acted: only where one of the
    variables is set and the C library is glibc (elsewhere nothing is changed). Blocks may
    nest, or run in several threads at once: the thresholds hold until the last one ends.
    """
    global _heap_users
    env = {name: os.environ.get(name) for name in _MALLOC_ENV}
    libc = None
    if any(v is not None for v in env.values()) and platform.libc_ver()[0] == "glibc":
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:  # pragma: no cover - glibc under another name
            libc = None
    if libc is None:
        yield False
        return
    with _heap_lock:
        _heap_users += 1
        if _heap_users == 1:
            libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold_bytes)
            libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold_bytes)
    try:
        yield True
    finally:
        with _heap_lock:
            _heap_users -= 1
            if _heap_users == 0:
                for name, parameter in zip(_MALLOC_ENV,
                                           (_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD),
                                           strict=True):
                    value = env[name]
                    libc.mallopt(parameter, int(value) if value and value.isdigit()
                                 else _GLIBC_DEFAULT_THRESHOLD)
                libc.malloc_trim(0)


class MemoryPeaks:
    """Peak process memory of each worker, as the scheduler reports it (bytes).

    Polls ``Client.scheduler_info()`` every ``interval_s`` in a thread while in the
    ``with`` block; the scheduler's figures come from the workers' heartbeats.
    """

    def __init__(self, client: Any, interval_s: float = 0.2) -> None:
        self.client = client
        self.interval_s = interval_s
        self.peaks: dict[str, int] = {}
        self.limits: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _sample(self) -> None:
        for address, worker in self.client.scheduler_info(n_workers=-1)["workers"].items():
            used = int(worker.get("metrics", {}).get("memory", 0))
            self.peaks[address] = max(self.peaks.get(address, 0), used)
            self.limits[address] = int(worker.get("memory_limit", 0))

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                self._sample()
            except Exception:
                return
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemoryPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
