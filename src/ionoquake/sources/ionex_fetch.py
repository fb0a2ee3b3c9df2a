"""Downloading daily GIM files from the public IGS archives.

Products and where they are (anonymous access):

* ``code`` -- CODE final GIMs at AIUB, ``http://ftp.aiub.unibe.ch/CODE/YYYY/``:
  ``CODGDDD0.YYI.Z`` up to 2022-11-26, ``COD0OPSFIN_YYYYDDD0000_01D_01H_GIM.INX.gz``
  from 2022-11-27 (GPS week 2238, when the IGS moved to long file names).
* ``igs``, ``jpl``, ``esa``, ``upc``, ``cas`` -- the IGS combined and the analysis
  centres' final GIMs at the IGN data centre,
  ``https://igs.ign.fr/pub/igs/products/ionosphere/YYYY/DDD/``, with the same
  short/long name switch.

Files already in the cache are not downloaded again; an interrupted download
resumes (see :mod:`ionoquake.sources.download`). ``base_url`` points a fetch at a
mirror (or, in the tests, at a local server on 127.0.0.1).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ionoquake.errors import FetchError, IonoquakeError
from ionoquake.sources.download import NotOnServer, download

LONG_NAMES_FROM = dt.date(2022, 11, 27)


@dataclass(frozen=True)
class Product:
    """A GIM product: where it lives and how its daily files are named."""

    base_url: str
    folder: str  # format with {year} and {doy}
    short: str  # format with {doy} and {yy}
    long: str  # format with {year} and {doy}


_IGN = "https://igs.ign.fr/pub/igs/products/ionosphere/"
PRODUCTS: dict[str, Product] = {
    "code": Product("http://ftp.aiub.unibe.ch/CODE/", "{year}/", "CODG{doy:03d}0.{yy:02d}I.Z",
                    "COD0OPSFIN_{year}{doy:03d}0000_01D_01H_GIM.INX.gz"),
    "igs": Product(_IGN, "{year}/{doy:03d}/", "igsg{doy:03d}0.{yy:02d}i.Z",
                   "IGS0OPSFIN_{year}{doy:03d}0000_01D_02H_GIM.INX.gz"),
    "jpl": Product(_IGN, "{year}/{doy:03d}/", "jplg{doy:03d}0.{yy:02d}i.Z",
                   "JPL0OPSFIN_{year}{doy:03d}0000_01D_02H_GIM.INX.gz"),
    "esa": Product(_IGN, "{year}/{doy:03d}/", "esag{doy:03d}0.{yy:02d}i.Z",
                   "ESA0OPSFIN_{year}{doy:03d}0000_01D_02H_GIM.INX.gz"),
    "upc": Product(_IGN, "{year}/{doy:03d}/", "upcg{doy:03d}0.{yy:02d}i.Z",
                   "UPC0OPSFIN_{year}{doy:03d}0000_01D_02H_GIM.INX.gz"),
    "cas": Product(_IGN, "{year}/{doy:03d}/", "casg{doy:03d}0.{yy:02d}i.Z",
                   "CAS0OPSFIN_{year}{doy:03d}0000_01D_30M_GIM.INX.gz"),
}
MAX_DAYS = 3660  # ten years per request: a larger request is almost surely a typo


def url_for(producer: str, day: dt.date, base_url: str | None = None) -> str:
    """The URL of ``producer``'s final GIM file for ``day``."""
    if producer not in PRODUCTS:
        raise IonoquakeError(f"unknown GIM producer {producer!r}; known: {', '.join(PRODUCTS)}")
    p = PRODUCTS[producer]
    doy = day.timetuple().tm_yday
    folder = p.folder.format(year=day.year, doy=doy)
    name = (p.long.format(year=day.year, doy=doy) if day >= LONG_NAMES_FROM
            else p.short.format(doy=doy, yy=day.year % 100))
    base = (base_url or p.base_url).rstrip("/") + "/"
    return base + folder + name


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days ``start`` .. ``end`` inclusive, refusing empty or absurd ranges."""
    if end < start:
        raise IonoquakeError(f"--end {end} is before --start {start}")
    n = (end - start).days + 1
    if n > MAX_DAYS:
        raise IonoquakeError(f"{n} days requested; fetch at most {MAX_DAYS} days per request")
    return [start + dt.timedelta(days=i) for i in range(n)]


@dataclass(frozen=True)
class FetchOutcome:
    day: dt.date
    url: str
    path: Path | None
    status: str  # "downloaded", "cached" or "missing"


def fetch(start: dt.date, end: dt.date, cache_dir: str | os.PathLike[str], *,
          producer: str = "code", base_url: str | None = None,
          on_file: Callable[[FetchOutcome], None] | None = None) -> list[FetchOutcome]:
    """Download ``producer``'s daily GIM files for ``start`` .. ``end`` into ``cache_dir``.

    Days not on the server (HTTP 404: not produced yet, or never) are reported as
    ``"missing"``; any other failure raises :class:`~ionoquake.errors.FetchError`
    after the files already downloaded are safely in the cache.
    """
    cache = Path(cache_dir) / "gim" / producer
    outcomes = []
    for day in days_between(start, end):
        url = url_for(producer, day, base_url)
        dest = cache / str(day.year) / url.rsplit("/", 1)[1]
        if dest.exists():
            outcome = FetchOutcome(day, url, dest, "cached")
        else:
            try:
                outcome = FetchOutcome(day, url, download(url, dest), "downloaded")
            except NotOnServer:
                outcome = FetchOutcome(day, url, None, "missing")
            except FetchError:
                raise
        outcomes.append(outcome)
        if on_file is not None:
            on_file(outcome)
    return outcomes
