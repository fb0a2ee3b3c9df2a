"""The writing endpoints (token required): file upload, the daily run, and its jobs.

No file path from a request reaches the file system: uploads are written under their
sanitised names in folders of generated names, and only the sniffed content decides
where a file goes (:func:`ionoquake.store.ingest.ingest_path`); the size limit, the
product of a map file and the rule for it are in :mod:`ionoquake.service.uploads`. What
an upload adds to the catalogue or index tables is mirrored into the database before
the answer (:func:`ionoquake.pipeline.sync.sync_database`), so the read endpoints, and
the response cache, see it at once. Errors name the uploaded file, never a server path.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
import math
import tempfile
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi import Path as ApiPath
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ionoquake.errors import IonoquakeError
from ionoquake.pipeline.sync import sync_database
from ionoquake.service.params import EARLIEST, as_json
from ionoquake.service.schemas import STRING, TIME, array_of, json_responses, nullable, obj
from ionoquake.service.settings import Engine, Settings, app_settings, require_token
from ionoquake.service.uploads import hide_paths, save_upload
from ionoquake.store.ingest import Ingested, ingest_path

__all__ = ["router"]

router = APIRouter()
Config = Annotated[Settings, Depends(app_settings)]
#: Kinds of file whose tables the database mirrors (:func:`sync_database`).
MIRRORED = ("catalog", "indices")


_JOB = obj({"job": STRING, "kind": STRING,
            "status": {"type": "string", "enum": ["running", "done", "failed"]},
            "params": {"type": "object"}, "started": TIME, "finished": nullable(TIME),
            "steps": {"type": "array"}, "forecast": nullable(STRING),
            "n_alarms": nullable({"type": "integer"}), "error": nullable(STRING)},
           description="A triggered run (times ISO 8601 UTC with Z).")


@router.post("/api/ingest", dependencies=[Depends(require_token)], response_model=None,
             responses=json_responses(array_of(obj(
                 {"file": STRING, "kind": STRING, "status": STRING, "detail": STRING}))))
async def ingest(settings: Config, engine: Engine,
                 files: Annotated[list[UploadFile], File()]) -> list[dict[str, str]]:
    """Store uploaded files (maps, indices, TLEs, catalogues), recognised by their content.

    Each file's answer: its sanitised name, kind, status (added, replaced, unchanged)
    and what was stored. A file that cannot be ingested ends the request with 400 (the
    files before it stay stored); one past the size limit with 413.
    """
    with tempfile.TemporaryDirectory(prefix="ionoquake-upload-") as tmp:
        saved = [await save_upload(upload, Path(tmp), settings.max_upload_bytes)
                 for upload in files]
        results = await run_in_threadpool(_ingest_files, settings.store, engine, saved, tmp)
    return [{"file": r.path.name, "kind": r.kind, "status": r.status, "detail": r.detail}
            for r in results]


def _ingest_files(store: Path, engine: sa.Engine, paths: list[Path],
                  tmp: str) -> list[Ingested]:
    results: list[Ingested] = []
    try:
        for path in paths:
            try:
                # The product comes from the content (sources.ionex_product), as for any ingest.
                results.append(ingest_path(store, path))
            except IonoquakeError as exc:
                shown = {str(p): p.name for p in paths} | {tmp: "upload", str(store): "archive"}
                raise HTTPException(400, hide_paths(str(exc), shown)) from None
    finally:
        if any(r.kind in MIRRORED and r.status != "unchanged" for r in results):
            sync_database(store, engine)
    return results


@router.post("/api/run/daily", status_code=202, dependencies=[Depends(require_token)],
             response_model=None, responses=json_responses(_JOB, status=202,
                                                           description="The run started"))
def run_daily(settings: Config,
              date: Annotated[dt.date, Query(description="The UTC day to process.")],
              product: Annotated[str, Query(pattern="^[a-z0-9]{3,16}$",
                                            description="Archive product, e.g. codg.")],
              producer: Annotated[str, Query(pattern="^[a-z]{3,8}$")] = "code",
              offline: bool = False,
              window_days: Annotated[int, Query(ge=3, le=60)] = 15,
              learning_days: Annotated[float, Query(ge=1, le=36525)] = 3650) -> Response:
    """Start the daily step (``ionoquake daily``) for ``date``; see ``/api/jobs/<id>``.

    ``date`` must leave its learning period and background window inside the times
    the maps can hold (:data:`~ionoquake.service.params.EARLIEST` on) and be at most
    tomorrow; else 400 with the valid range.
    """
    from ionoquake.detect.background import preceding_days
    from ionoquake.service.jobs import Busy, start_daily

    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    if date > tomorrow:
        raise HTTPException(400, f"date {date} is in the future (latest: {tomorrow})")
    earliest = EARLIEST.date() + dt.timedelta(
        days=math.ceil(learning_days) + preceding_days(window_days))
    if date < earliest:
        raise HTTPException(400, f"date {date} is too early: with learning_days="
                                 f"{learning_days:g} and window_days={window_days} the daily "
                                 f"step runs for dates from {earliest} to {tomorrow}")
    try:
        job = start_daily(settings.store, date, product=product, producer=producer,
                          online=not offline, window_days=window_days,
                          learning_days=learning_days)
    except Busy as exc:
        raise HTTPException(409, str(exc)) from None
    response = as_json(job)
    response.status_code = 202
    response.headers["location"] = f"/api/jobs/{job['job']}"
    return response


@router.get("/api/jobs/{job_id}", response_model=None, responses=json_responses(_JOB))
def get_job(settings: Config,
            job_id: Annotated[str, ApiPath(pattern="^[0-9a-f]{16}$")]) -> Response:
    """A triggered run: ``running``, ``done`` (its steps) or ``failed`` (the error)."""
    from ionoquake.service.jobs import read_job

    job = read_job(settings.store, job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return as_json(job)
