"""Downloading index files from their public archives into a local cache.

Sources (anonymous HTTPS):

* ``gfz`` -- GFZ Potsdam, the whole Kp/ap/Ap/SN/F10.7 record since 1932,
  https://kp.gfz-potsdam.de/app/files/Kp_ap_Ap_SN_F107_since_1932.txt (CC BY 4.0);
* ``gfz-nowcast`` -- the same format for the last 30 days,
  https://kp.gfz-potsdam.de/app/files/Kp_ap_Ap_SN_F107_nowcast.txt;
* ``celestrak`` -- CelesTrak's space-weather file since 1957 with predictions,
  https://celestrak.org/SpaceData/SW-All.txt;
* ``kyoto`` -- WDC for Geomagnetism, Kyoto, hourly Dst, one file per month,
  ``https://wdc.kugi.kyoto-u.ac.jp/dst_{final,provisional,realtime}/YYYYMM/dstYYMM.for.request``
  (the current month under ``dst_realtime/presentmonth/``), tried in that order:
  final Dst lags by years, provisional by months. Kyoto asks that its data not be
  redistributed: keep the cache private.

Caching: a whole-record file (GFZ, CelesTrak) is downloaded again only when the
cached copy does not reach ``end`` and is older than :data:`STALE_AFTER`, or with
``refresh=True``. A final Kyoto month is never downloaded again; a provisional
or realtime month is tried again from the final tier with ``refresh=True``.
``base_url`` replaces the host and folders (a mirror, or in the tests a local
server); Kyoto's tier folders are kept below it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ionoquake.errors import IonoquakeError
from ionoquake.sources.download import NotOnServer, download

WHOLE_FILES = {
    "gfz": "https://kp.gfz-potsdam.de/app/files/Kp_ap_Ap_SN_F107_since_1932.txt",
    "gfz-nowcast": "https://kp.gfz-potsdam.de/app/files/Kp_ap_Ap_SN_F107_nowcast.txt",
    "celestrak": "https://celestrak.org/SpaceData/SW-All.txt",
}
KYOTO = "https://wdc.kugi.kyoto-u.ac.jp/"
KYOTO_TIERS = ("final", "provisional", "realtime")
SOURCES = (*WHOLE_FILES, "kyoto")
STALE_AFTER = dt.timedelta(hours=3)  # GFZ updates its nowcast every 3 h
MIN_DST_BYTES = 120  # Kyoto answers 200 with an empty body during maintenance


@dataclass(frozen=True)
class FetchedFile:
    """One file of a fetch: where from, where to, and what happened."""

    url: str
    path: Path | None
    status: str  # "downloaded", "cached" or "missing"


def fetch(start: dt.date, end: dt.date, cache_dir: str | os.PathLike[str], *,
          source: str = "gfz", base_url: str | None = None, refresh: bool = False,
          on_file: Callable[[FetchedFile], None] | None = None) -> list[FetchedFile]:
    """Download the index files of ``source`` covering ``start`` .. ``end`` into ``cache_dir``.

    Parameters
    ----------
    start, end
        First and last UT day wanted (inclusive).
    cache_dir
        Cache folder; files go to ``<cache_dir>/indices/<source>/``.
    source
        ``gfz``, ``gfz-nowcast``, ``celestrak`` or ``kyoto``.
    base_url
        A mirror to use instead of the public host.
    refresh
        Download again even what is cached (except final Kyoto months).
    on_file
        Called with each :class:`FetchedFile` as it is done.

    Returns
    -------
    list of FetchedFile
        Months not on the server at any Kyoto tier are ``"missing"``; any other
        failure raises :class:`~ionoquake.errors.FetchError`.
    """
    if end < start:
        raise IonoquakeError(f"--end {end} is before --start {start}")
    if source not in SOURCES:
        raise IonoquakeError(f"unknown index source {source!r}; known: {', '.join(SOURCES)}")
    cache = Path(cache_dir) / "indices" / source
    if source == "kyoto":
        outcomes = [_fetch_dst_month(month, cache, base_url, refresh)
                    for month in _months(start, end)]
    else:
        outcomes = [_fetch_whole(source, end, cache, base_url, refresh)]
    for outcome in outcomes:
        if on_file is not None:
            on_file(outcome)
    return outcomes


def _fetch_whole(source: str, end: dt.date, cache: Path, base_url: str | None,
                 refresh: bool) -> FetchedFile:
    url = WHOLE_FILES[source]
    if base_url:
        url = base_url.rstrip("/") + "/" + url.rsplit("/", 1)[1]
    dest = cache / url.rsplit("/", 1)[1]
    if dest.exists() and not refresh:
        last = last_day(dest)
        age = dt.timedelta(seconds=time.time() - dest.stat().st_mtime)
        if (last is not None and last >= end) or age < STALE_AFTER:
            return FetchedFile(url, dest, "cached")
    try:
        return FetchedFile(url, download(url, dest, overwrite=True), "downloaded")
    except NotOnServer:
        return FetchedFile(url, None, "missing")


_LAST_DAY = re.compile(rb"^(\d{4}) (\d\d) (\d\d) ", re.MULTILINE)


def last_day(path: Path) -> dt.date | None:
    """The last observed day in a cached GFZ or CelesTrak file (None if none is found)."""
    data = path.read_bytes()
    end = data.find(b"END OBSERVED")  # CelesTrak: predictions follow the observations
    if end >= 0:
        data = data[:end]
    matches = list(_LAST_DAY.finditer(data[-4096:]))
    for m in reversed(matches):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
    return None


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, m = [], start.replace(day=1)
    while m <= end:
        months.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return months


def dst_url(month: dt.date, tier: str, base_url: str | None = None,
            today: dt.date | None = None) -> str:
    """The URL of Kyoto's Dst file of ``month`` in ``tier`` (final, provisional, realtime)."""
    today = today or dt.datetime.now(dt.UTC).date()
    folder = f"{month:%Y%m}"
    if tier == "realtime" and (month.year, month.month) == (today.year, today.month):
        folder = "presentmonth"
    return f"{(base_url or KYOTO).rstrip('/')}/dst_{tier}/{folder}/dst{month:%y%m}.for.request"


def _fetch_dst_month(month: dt.date, cache: Path, base_url: str | None,
                     refresh: bool) -> FetchedFile:
    name = f"dst{month:%y%m}.for.request"
    final = cache / "final" / name
    if final.exists():
        return FetchedFile(dst_url(month, "final", base_url), final, "cached")
    if not refresh:
        for tier in KYOTO_TIERS[1:]:
            if (cache / tier / name).exists():
                return FetchedFile(dst_url(month, tier, base_url), cache / tier / name, "cached")
    url = ""
    for tier in KYOTO_TIERS:
        url = dst_url(month, tier, base_url)
        dest = cache / tier / name
        try:
            download(url, dest, overwrite=True)
        except NotOnServer:
            continue
        if dest.stat().st_size < MIN_DST_BYTES:
            dest.unlink()
            continue
        for stale in KYOTO_TIERS[KYOTO_TIERS.index(tier) + 1:]:
            (cache / stale / name).unlink(missing_ok=True)
        return FetchedFile(url, dest, "downloaded")
    return FetchedFile(url, None, "missing")
