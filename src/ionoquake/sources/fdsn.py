"""Fetch earthquake catalogues from any FDSN event web service, paged by time.

The FDSN web-service specification (fdsnws-event 1.2) defines
``<service>/query?starttime=...&endtime=...&minmagnitude=...&format=...``.
Servers cap the number of events per request (USGS ComCat: 20,000), so
:func:`fetch` splits the request into time windows, saves each response in
``cache_dir`` under a name made of the query, and on the next run downloads only
the windows it does not have (a killed run resumes where it stopped). A window
whose response reaches ``max_events`` is split in two and fetched again, so a
dense period never loses events. Windows that end after the present moment are
fetched again on every run (they may still grow).

Formats: ``csv`` (USGS ComCat only), ``text`` (every FDSN service),
``quakeml`` (``format=xml``; every FDSN service).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from ionoquake.errors import FetchError
from ionoquake.sources import registry
from ionoquake.sources.catalog_table import CatalogError, concat_catalogs
from ionoquake.sources.download import download

__all__ = ["USGS", "fetch", "query_url", "read_windows", "time_windows"]

USGS = "https://earthquake.usgs.gov/fdsnws/event/1/"
Format = Literal["csv", "text", "quakeml"]
_SUFFIX = {"csv": "csv", "text": "txt", "quakeml": "xml"}
_QUERY_FORMAT = {"csv": "csv", "text": "text", "quakeml": "xml"}
_READER = {"csv": "comcat-csv", "text": "fdsn-text", "quakeml": "quakeml"}


def time_windows(start: dt.datetime, end: dt.datetime,
                 request_days: float) -> list[tuple[dt.datetime, dt.datetime]]:
    """Split ``[start, end)`` into consecutive windows of ``request_days`` (the last shorter)."""
    if not end > start:
        raise FetchError(f"end {end:%Y-%m-%dT%H:%M:%S} is not after start "
                         f"{start:%Y-%m-%dT%H:%M:%S}")
    if not request_days > 0:
        raise FetchError(f"request_days must be positive, got {request_days}")
    step = dt.timedelta(days=request_days)
    edges = [start]
    while edges[-1] + step < end:
        edges.append(edges[-1] + step)
    edges.append(end)
    return list(itertools.pairwise(edges))


def query_url(url: str, start: dt.datetime, end: dt.datetime, *, format: Format = "csv",
              **params: float | str | None) -> str:
    """The fdsnws-event query URL for one window (times as naive UTC ISO 8601)."""
    query: dict[str, str] = {"starttime": _iso(start), "endtime": _iso(end),
                             "format": _QUERY_FORMAT[format], "orderby": "time-asc"}
    query.update({k: str(v) for k, v in params.items() if v is not None})
    return url.rstrip("/") + "/query?" + urllib.parse.urlencode(query)


def _iso(time: dt.datetime) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def _cache_name(url: str, start: dt.datetime, end: dt.datetime, format: Format,
                params: dict[str, float | str | None]) -> str:
    host = urllib.parse.urlsplit(url).netloc.replace(":", "_") or "local"
    digest = hashlib.sha256(repr((url, sorted(params.items()))).encode()).hexdigest()[:10]
    return (f"{host}_{start:%Y%m%dT%H%M%S}_{end:%Y%m%dT%H%M%S}_{digest}"
            f".{_SUFFIX[format]}")


def fetch(
    start: dt.datetime,
    end: dt.datetime,
    cache_dir: str | os.PathLike[str],
    *,
    url: str = USGS,
    format: Format = "csv",
    min_magnitude: float | None = None,
    max_magnitude: float | None = None,
    min_latitude: float | None = None,
    max_latitude: float | None = None,
    min_longitude: float | None = None,
    max_longitude: float | None = None,
    min_depth_km: float | None = None,
    max_depth_km: float | None = None,
    request_days: float = 30.0,
    max_events: int = 20000,
    timeout_s: float = 120.0,
    now: dt.datetime | None = None,
    on_window: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Download the events of ``[start, end)`` window by window into ``cache_dir``.

    Parameters
    ----------
    start, end
        Naive UTC times.
    cache_dir
        Folder for the responses (one file per window, named after the query).
    url
        The service's base URL, ending in ``/fdsnws/event/1/``.
    format
        ``"csv"`` (USGS), ``"text"`` or ``"quakeml"``.
    min_magnitude, max_magnitude, min_depth_km, max_depth_km
        Passed to the service (magnitude, km).
    min_latitude, max_latitude, min_longitude, max_longitude
        A box in degrees, passed to the service.
    request_days
        Length of the time windows.
    max_events
        The server's cap on events per request; a fuller window is split in two.
    timeout_s
        Socket timeout per request, s.
    now
        The present moment (naive UTC); windows ending later are fetched again.
    on_window
        Called with each window's file once it is in the cache.

    Returns
    -------
    list of pathlib.Path
        The window files in time order (an empty file: no events in that window).
        Read them with :func:`read_windows`.

    Raises
    ------
    ionoquake.errors.FetchError
        A request failed; the windows already in the cache are kept.
    """
    params: dict[str, float | str | None] = {
        "minmagnitude": min_magnitude, "maxmagnitude": max_magnitude,
        "minlatitude": min_latitude, "maxlatitude": max_latitude,
        "minlongitude": min_longitude, "maxlongitude": max_longitude,
        "mindepth": min_depth_km, "maxdepth": max_depth_km,
    }
    params = {k: v for k, v in params.items() if v is not None}
    cache = Path(cache_dir)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pending = time_windows(start, end, request_days)
    done: list[Path] = []
    while pending:
        first, last = pending.pop(0)
        path = cache / _cache_name(url, first, last, format, params)
        query = query_url(url, first, last, format=format, **params)
        download(query, path, timeout_s=timeout_s, overwrite=last > now)
        if max_events and _count_events(path, format) >= max_events:
            if last - first <= dt.timedelta(seconds=1):
                raise FetchError(f"{query}: {max_events} or more events in one second; "
                                 f"raise max_events or narrow the query")
            path.unlink()
            middle = first + (last - first) / 2
            middle = middle.replace(microsecond=0)
            pending[:0] = [(first, middle), (middle, last)]
            continue
        done.append(path)
        if on_window is not None:
            on_window(path)
    return done


def _count_events(path: Path, format: Format) -> int:
    data = path.read_bytes()
    if not data.strip():
        return 0
    if format == "quakeml":
        return data.count(b"<event ") + data.count(b"<event>")
    return max(data.strip().count(b"\n"), 0)  # lines after the header


def read_windows(paths: Sequence[str | os.PathLike[str]], *,
                 format: Format = "csv") -> pd.DataFrame:
    """Read the window files of :func:`fetch` into one catalogue table.

    Empty responses (HTTP 204, no events) are skipped; events on a window edge
    that two windows both returned are kept once.
    """
    frames = []
    for path in map(Path, paths):
        if path.stat().st_size == 0:
            continue
        try:
            frames.append(registry.reader(_READER[format]).read(path))
        except CatalogError as exc:
            raise CatalogError(f"{exc} (a response of the FDSN service, saved as {path})") \
                from None
    return concat_catalogs(frames)
