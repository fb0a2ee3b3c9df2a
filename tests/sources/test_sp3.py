"""SP3 precise orbits: equal to georinex's ``load_sp3`` where the file has values, NaN for
the file's bad-value markers, and values copied from the file."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from ionoquake.sources import registry, sp3
from ionoquake.sources.rinex_text import RinexError

IGS = "rinex/bshm_2014-10-27/igs18161.sp3.gz"


def test_equal_to_georinex_where_the_file_has_values(shared_data: Path) -> None:
    import georinex

    ours = sp3.read(shared_data / IGS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = georinex.load(shared_data / IGS)
    assert np.array_equal(ours.time.values, ref.time.values)
    assert ours.sv.values.tolist() == ref.sv.values.tolist()
    assert ours.position.dims == ref.position.dims == ("time", "sv", "ECEF")
    good = np.isfinite(ours.position.values)
    assert np.array_equal(ours.position.values[good], ref.position.values[good])
    assert not (~good).any()  # IGS final orbits: no missing positions in this file
    good = np.isfinite(ours.clock.values)
    assert np.array_equal(ours.clock.values[good], ref.clock.values[good])
    # georinex keeps the bad-clock marker as a number; here it is NaN (11 records)
    assert (ref.clock.values[~good] == 999999.999999).all() and (~good).sum() == 11
    assert ours.t0.values == ref.t0.values
    for key in ("Nepoch", "coord_sys", "orbit_type", "agency"):
        assert ours.attrs[key] == ref.attrs[key]


def test_values_copied_from_the_file(shared_data: Path) -> None:
    """``PG01 -13376.959370  19556.786573  11789.690798     22.929816`` (first epoch)."""
    ds = sp3.read(shared_data / IGS)
    g01 = ds.sel(sv="G01").isel(time=0)
    assert g01.position.values.tolist() == [-13376.959370, 19556.786573, 11789.690798]
    assert (g01.x.item(), g01.clock.item()) == (-13376.959370, 22.929816)
    assert ds.position.attrs["units"] == "km" and ds.clock.attrs["units"] == "microseconds"
    assert ds.sizes == {"time": 96, "sv": 31, "ECEF": 3}
    assert ds.attrs["interval"] == 900.0 and ds.attrs["time_system"] == "GPS"
    # radius of a GPS orbit: 26 560 km (IS-GPS-200 semi-major axis), within eccentricity
    radius = np.linalg.norm(ds.position.values, axis=2)
    assert 25_500 < np.nanmin(radius) and np.nanmax(radius) < 27_500


def test_registry_and_bad_input(shared_data: Path, tmp_path: Path) -> None:
    found = registry.sniff(shared_data / IGS)
    assert found is not None and found.name == "sp3"
    import gzip

    lines = gzip.decompress((shared_data / IGS).read_bytes()).decode().splitlines()
    bad = tmp_path / "bad.sp3"
    lines[23] = lines[23][:4] + "-1337x.959370" + lines[23][17:]
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(RinexError, match=r"bad.sp3 line 24: position x .* is not a number"):
        sp3.read(bad)
    cut = tmp_path / "cut.sp3"
    cut.write_text("\n".join(lines[:15]) + "\n")
    with pytest.raises(RinexError, match=r"cut.sp3 line 15: no epoch"):
        sp3.read(cut)
