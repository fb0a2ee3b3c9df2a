"""ionoquake.quake: the one earthquake record, from catalogue rows and by event id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionoquake.errors import InputError
from ionoquake.quake import DEFAULT_DEPTH_KM, Earthquake, find_event

#: USGS ComCat us6000m0xl (event page): 2024-01-01 07:10:09.476 UTC, 37.498 N 137.242 E,
#: 10 km, Mw 7.5, "2024 Noto Peninsula, Japan Earthquake".
NOTO = {"event_id": "us6000m0xl", "time": pd.Timestamp("2024-01-01T07:10:09.476Z"),
        "latitude": 37.498, "longitude": 137.242, "depth_km": 10.0, "magnitude": 7.5,
        "place": "2024 Noto Peninsula, Japan Earthquake"}


def test_from_row_converts_zoned_times_to_naive_utc() -> None:
    q = Earthquake.from_row(pd.Series({**NOTO, "time": pd.Timestamp("2024-01-01T16:10:09.476",
                                                                      tz="Asia/Tokyo")}))
    assert q.time == np.datetime64("2024-01-01T07:10:09.476", "ns")
    assert q.time.dtype == np.dtype("datetime64[ns]")
    assert (q.event_id, q.name, q.depth_km, q.magnitude) == (
        "us6000m0xl", NOTO["place"], 10.0, 7.5)


def test_missing_depth_and_place_take_the_defaults() -> None:
    q = Earthquake.from_row({**NOTO, "depth_km": np.nan, "place": None})
    assert q.depth_km == DEFAULT_DEPTH_KM and q.name == ""
    assert Earthquake.from_row({k: v for k, v in NOTO.items() if k != "depth_km"}).depth_km == 10


def test_find_event_and_its_error() -> None:
    cat = pd.DataFrame([NOTO, {**NOTO, "event_id": "other", "magnitude": 5.0}])
    assert find_event(cat, "us6000m0xl").magnitude == 7.5
    with pytest.raises(InputError, match="no event 'nope' in the archive's catalogue"):
        find_event(cat, "nope", "the archive's catalogue")


def test_rupture_length_wells_coppersmith() -> None:
    # Wells & Coppersmith (1994), Table 2A, all slip types: log10 L = -2.44 + 0.59 M.
    q = Earthquake.from_row(NOTO)
    assert q.rupture_length_km() == pytest.approx(96.6, abs=0.1)


def test_attrs_are_netcdf_safe() -> None:
    attrs = Earthquake.from_row(NOTO).to_attrs()
    assert attrs["event_time"] == "2024-01-01T07:10:09.476000"
    assert all(isinstance(v, str | float | int) for v in attrs.values())
