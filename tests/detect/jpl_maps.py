"""The 55-day JPL series of ../shared/data (SOURCES.md §1a), read once per test session."""

from __future__ import annotations

from functools import cache

import xarray as xr

from ionoquake.sources import gim
from tests.conftest import SHARED_DATA

JPL_DIR = SHARED_DATA / "ionex" / "jpl_2000326-2001014"
CELESTRAK = SHARED_DATA / "indices" / "celestrak_SpaceWeather-All-v1.2_updated20251121.txt.gz"


@cache
def jpl_maps() -> xr.Dataset:
    """2000-11-21 01:00 .. 2001-01-14 23:00 UT, 12 maps a day at odd hours, 71 x 73 cells."""
    return gim.read_days(sorted(JPL_DIR.glob("jplg*.gz")))
