"""The writing endpoints (token required): file upload, the daily run, and its jobs.

No file path from a request reaches the file system: uploads are written under
generated names in a temporary folder, and only the sniffed content decides where a
file goes (:func:`ionoquake.store.ingest.ingest_path`).
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
import re
import secrets
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Query, UploadFile
from fastapi import Path as ApiPath
from fastapi.responses import Response

from ionoquake.service.params import as_json
from ionoquake.service.settings import Settings, app_settings, require_token
from ionoquake.sources import ionex
from ionoquake.store import maps
from ionoquake.store.ingest import ingest_path

__all__ = ["SAFE_NAME", "router"]

SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")

router = APIRouter()
Config = Annotated[Settings, Depends(app_settings)]


@router.post("/api/ingest", dependencies=[Depends(require_token)])
async def ingest(settings: Config,
                 files: Annotated[list[UploadFile], File()]) -> list[dict[str, str]]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for upload in files:
            # The name only names the product (codg, jplg...); it never becomes a path.
            base = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
            name = SAFE_NAME.sub("_", base)[-64:].lstrip(".") or "upload"
            target = Path(tmp) / f"upload-{secrets.token_hex(8)}"
            target.write_bytes(await upload.read())
            product = ionex.product_id(name) if maps.is_map_file(target) else None
            r = ingest_path(settings.store, target, product=product)
            results.append({"file": name, "kind": r.kind, "status": r.status,
                            "detail": r.detail})
    return results


@router.post("/api/run/daily", status_code=202, dependencies=[Depends(require_token)])
def run_daily(settings: Config,
              date: Annotated[dt.date, Query(description="The UTC day to process.")],
              product: Annotated[str, Query(pattern="^[a-z0-9]{3,16}$",
                                            description="Archive product, e.g. codg.")],
              producer: Annotated[str, Query(pattern="^[a-z]{3,8}$")] = "code",
              offline: bool = False,
              window_days: Annotated[int, Query(ge=3, le=60)] = 15,
              learning_days: Annotated[float, Query(ge=1, le=36525)] = 3650) -> Response:
    """Start the daily step (``ionoquake daily``) for ``date``; see ``/api/jobs/<id>``."""
    from ionoquake.service.jobs import Busy, start_daily

    tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    if date > tomorrow:
        raise HTTPException(400, f"date {date} is in the future (latest: {tomorrow})")
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


@router.get("/api/jobs/{job_id}")
def get_job(settings: Config,
            job_id: Annotated[str, ApiPath(pattern="^[0-9a-f]{16}$")]) -> Response:
    """A triggered run: ``running``, ``done`` (its steps) or ``failed`` (the error)."""
    from ionoquake.service.jobs import read_job

    job = read_job(settings.store, job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id}")
    return as_json(job)
