"""Downloading current TLEs from CelesTrak's GP service into a local cache.

CelesTrak (https://celestrak.org, free to use with attribution) answers
``gp.php?CATNR=<NORAD id>&FORMAT=tle`` or ``?GROUP=<name>`` with 3-line element
sets; each answer is cached for its UTC day and checked by
:func:`ionoquake.sources.tle.parse` before it is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

from ionoquake.sources.download import download
from ionoquake.sources.tle import TleError, parse

__all__ = ["CELESTRAK_GP_URL", "fetch"]

CELESTRAK_GP_URL = "https://celestrak.org/NORAD/elements/gp.php"


def fetch(*, norad_ids: Iterable[int] = (), groups: Iterable[str] = (),
          cache_dir: str | PathLike[str], base_url: str = CELESTRAK_GP_URL,
          day: dt.date | None = None, overwrite: bool = False,
          timeout_s: float = 60.0) -> list[Path]:
    """Download current TLEs from CelesTrak's GP service, one file per id or group.

    Files are cached as ``celestrak_catnr<id>_<YYYYMMDD>.tle`` and
    ``celestrak_group-<name>_<YYYYMMDD>.tle`` (the UTC day of the request), so asking
    again on the same day reads the cache.

    Parameters
    ----------
    norad_ids
        NORAD catalogue numbers (``?CATNR=<id>&FORMAT=tle``).
    groups
        CelesTrak group names such as ``active``, ``science`` (``?GROUP=<name>``).
    cache_dir
        Folder of the cache.
    base_url
        The GP endpoint (tests point it at a local server).
    day
        The day in the cache file names; default today (UTC).
    overwrite
        Download again even if cached.
    timeout_s
        Socket timeout in seconds.

    Returns
    -------
    list of pathlib.Path
        The files, each checked by :func:`ionoquake.sources.tle.parse`.

    Raises
    ------
    TleError
        If CelesTrak answers without TLEs (e.g. "No GP data found" for an unknown id).
    """
    day = day or dt.datetime.now(dt.UTC).date()
    stamp = f"{day:%Y%m%d}"
    wanted = ([(f"CATNR={int(i)}", f"celestrak_catnr{int(i)}_{stamp}.tle") for i in norad_ids]
              + [(f"GROUP={g}", f"celestrak_group-{g}_{stamp}.tle") for g in groups])
    out = []
    for query, fname in wanted:
        url = f"{base_url}?{query}&FORMAT=tle"
        path = download(url, Path(cache_dir) / fname, overwrite=overwrite, timeout_s=timeout_s)
        text = path.read_bytes().decode("ascii", "replace")
        if not any(line.startswith("1 ") for line in text.splitlines()):
            path.unlink()
            raise TleError(f"{url}: no TLE in the answer ({text.strip()[:80]!r})")
        try:
            parse(text, source=path)
        except TleError:
            path.unlink()
            raise
        out.append(path)
    return out
