"""Runs triggered over the API (``POST /api/run/daily``): one at a time, their state in the store.

A run starts in a background thread of the server process and answers at once with
its job record; ``GET /api/jobs/<id>`` follows it. The records are JSON files
``<store>/jobs/<id>.json`` written atomically, so every server process (``serve
--workers N``) sees every job, and a lock file (``flock``) lets one run at a time
across them. The daily step itself is idempotent (:mod:`ionoquake.pipeline.daily`):
a run interrupted by a restart of the server is finished by triggering it again.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import secrets
import threading
import traceback
from pathlib import Path
from typing import Any

from ionoquake.atomic import write_bytes_atomic
from ionoquake.errors import IonoquakeError
from ionoquake.times import iso_utc

JOB_ID = re.compile(r"^[0-9a-f]{16}$")


class Busy(IonoquakeError):
    """Another run holds the store's run lock."""


def _now() -> str:
    """The time now as ISO 8601 UTC with Z (:func:`ionoquake.times.iso_utc`)."""
    return str(iso_utc(dt.datetime.now(dt.UTC)))


def jobs_folder(store: str | os.PathLike[str]) -> Path:
    return Path(store) / "jobs"


def read_job(store: str | os.PathLike[str], job_id: str) -> dict[str, Any] | None:
    """The record of ``job_id`` (16 hex digits), or None if there is none."""
    if not JOB_ID.match(job_id):
        return None
    path = jobs_folder(store) / f"{job_id}.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return record


def _write(store: Path, job: dict[str, Any]) -> None:
    write_bytes_atomic(jobs_folder(store) / f"{job['job']}.json",
                       json.dumps(job, indent=1).encode())


def start_daily(store: str | os.PathLike[str], date: dt.date, **options: Any) -> dict[str, Any]:
    """Start :func:`~ionoquake.pipeline.daily.run_daily_step` for ``date`` in a thread.

    Returns the job record (status ``running``). Raises :class:`Busy` if a run is
    going on in any process serving ``store``.
    """
    root = Path(store)
    jobs_folder(root).mkdir(parents=True, exist_ok=True)
    lock = open(jobs_folder(root) / ".lock", "a+")  # held (flock) until the run ends
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        running = lock.read().strip()
        lock.close()
        raise Busy(f"a run is already going on (job {running or '?'}); try again when it "
                   f"has finished") from None
    job: dict[str, Any] = {
        "job": secrets.token_hex(8), "kind": "daily", "status": "running",
        "params": {"date": date.isoformat(), **options}, "started": _now(), "finished": None,
        "steps": [], "forecast": None, "n_alarms": None, "error": None}
    try:
        lock.seek(0)
        lock.truncate()
        lock.write(job["job"])
        lock.flush()
        _write(root, job)
        threading.Thread(target=_run_daily, args=(root, date, options, job, lock),
                         name=f"ionoquake-job-{job['job']}", daemon=True).start()
    except BaseException:
        lock.close()  # never keep the lock for a run that did not start
        raise
    return job


def _run_daily(store: Path, date: dt.date, options: dict[str, Any], job: dict[str, Any],
               lock: Any) -> None:
    from ionoquake.pipeline.daily import run_daily_step

    try:
        result = run_daily_step(store, date, **options)
        job.update(status="done", steps=result.steps, n_alarms=result.n_alarms,
                   forecast=result.forecast.name if result.forecast else None)
    except IonoquakeError as exc:
        job.update(status="failed", error=str(exc))
    except Exception as exc:  # a bug: keep its last frame for the report, not the server log
        where = traceback.extract_tb(exc.__traceback__)[-1]
        job.update(status="failed", error=f"{type(exc).__name__}: {exc} "
                                          f"({Path(where.filename).name}:{where.lineno})")
    finally:
        job["finished"] = _now()
        _write(store, job)
        lock.close()  # releases the flock
