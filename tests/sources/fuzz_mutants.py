"""Seeded mutants of real data files, and the checks a reader's result must pass.

Used by ``tests/sources/test_fuzz.py`` (a few mutants per file) and by
``benchmarks/fuzz_readers.py`` (hundreds). Each mutant is written to a folder and
read with its format's reader, as ``ionoquake info`` would; the outcome is one of

* ``error``: an :class:`ionoquake.errors.IonoquakeError` (the CLI's one line);
* ``accepted``: a result that passes :func:`check_result`;
* ``invalid``: a result that fails it (accepted but wrong);
* ``crash``: any other exception.
"""

from __future__ import annotations

import gzip
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.errors import IonoquakeError
from ionoquake.sources import registry
from ionoquake.sources.compression import read_bytes

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
BUNDLED = REPO / "data"


@dataclass(frozen=True)
class Sample:
    """One real file of a format, and the reader that must read it."""

    kind: str
    format: str
    path: Path
    file_name: str  # the name the mutant gets (sniffs look at names for CDF/HDF5)


def samples(tmp: Path, *, write: bool = True) -> list[Sample]:
    """One real file of every kind (an FDSN text file is made from real ComCat rows in ``tmp``)."""
    fdsn = tmp / "fdsn_events.txt"
    if write and not fdsn.exists():
        fdsn.write_text(_fdsn_text(BUNDLED / "catalogs" /
                                   "usgs_comcat_M5_2019-10-01_2019-12-31.csv"))
    out = [
        ("ionex-gz", "ionex", SHARED / "ionex/code_esa_2020008-010/esag0080.20i.gz"),
        ("ionex-plain", "ionex", SHARED / "ionex/edge_cases/orekit_jammed-fields.14i"),
        ("gim-cdf", "gim-cdf", SHARED / "ionex/other_formats/gps_tec15min_igs_20230303_v01.cdf"),
        ("comcat-csv", "comcat-csv",
         BUNDLED / "catalogs/usgs_comcat_M5_2019-10-01_2019-12-31.csv"),
        ("fdsn-text", "fdsn-text", fdsn),
        ("quakeml", "quakeml", SHARED / "catalogs/quakeml/usgs_event.xml"),
        ("tle", "tle", BUNDLED / "tle/celestrak_science_20191118.tle"),
        ("celestrak-sw", "celestrak-sw",
         BUNDLED / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"),
        ("gfz-kp", "gfz-kp", SHARED / "indices/gfz_Kp_ap_Ap_SN_F107_nowcast_20250107-20250205.txt"),
        ("wdc-dst", "wdc-dst", SHARED / "indices/kyoto_wdc_dst_2006-2022.dat.gz"),
        ("iri-apf107", "iri-apf107", SHARED / "indices/iri_apf107_1958-2020.dat.gz"),
        ("omni-hourly", "omni-hourly", SHARED / "indices/omniweb_hourly_indices_2011.csv"),
        ("cses-h5", "cses-l2", SHARED / "insitu/cses/CSES_01_HPM_5_L02_A2_096791_20191101_001933_"
                                        "20191101_005555_000.h5"),
        ("swarm-cdf", "swarm-calibration", SHARED / "insitu/swarm/SW_OPER_MAGA_HR_1B_20160311T000000_"
                                                    "20160311T235959_0602_ASM_VFM_IC.cdf"),
        ("rinex3-obs", "rinex-obs", SHARED / "rinex/georust/OBS_V3_DUTH0630.22O"),
        ("rinex2-obs", "rinex-obs", SHARED / "rinex/rtklib/30400920.05o"),
        ("crinex1-obs", "rinex-obs", SHARED / "rinex/georust/CRNX_V1_delf0010.21d"),
        ("rinex3-nav", "rinex-nav", SHARED / "rinex/georust/NAV_V3_AMEL00NLD_R_20210010000_01D_MN.rnx"),
        ("rinex2-nav", "rinex-nav", SHARED / "rinex/pygnss_tec_2024-01-10/brdc0100.24g.gz"),
        ("sp3", "sp3", SHARED / "rinex/bshm_2014-10-27/igs18161.sp3.gz"),
        ("bias-sinex", "bias-sinex",
         SHARED / "rinex/pygnss_tec_2024-01-10/GFZ0OPSRAP_20240100000_01D_01D_DCB.BIA.gz"),
        ("madrigal-los", "madrigal-los",
         SHARED / "tec_los_madrigal/madrigal_los_tec_japan_20110311_0000UT_sample.csv"),
    ]
    return [Sample(kind, fmt, path, path.name) for kind, fmt, path in out]


def _fdsn_text(comcat_csv: Path) -> str:
    """Real ComCat rows written in the FDSN ``format=text`` layout (as the service does)."""
    rows = pd.read_csv(comcat_csv).head(60)
    lines = ["#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|"
             "ContributorID|MagType|Magnitude|MagAuthor|EventLocationName"]
    for r in rows.itertuples():
        lines.append(f"{r.id}|{str(r.time)[:-1]}|{r.latitude}|{r.longitude}|{r.depth}|{r.net}|"
                     f"{r.net}|{r.net}|{r.id}|{r.magType}|{r.mag}|{r.net}|{r.place}")
    return "\n".join(lines) + "\n"


# -- mutations -------------------------------------------------------------------------------

_NUMBER = re.compile(rb"-?\d+(\.\d+)?")


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def _flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 3, 20))):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _delete_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def _duplicate_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return b"\n".join(lines)


def _huge_number(data: bytes, rng: random.Random) -> bytes:
    found = list(_NUMBER.finditer(data[:2_000_000]))
    if not found:
        return data + b"1e308"
    m = rng.choice(found)
    huge = rng.choice((b"1e308", b"99999", b"-99999", b"1600000", b"9999.9", b"nan", b"-1e30"))
    width = m.end() - m.start()
    if len(huge) < width:  # keep fixed-width columns aligned
        huge = huge.rjust(width)
    return data[: m.start()] + huge + data[m.end():]


def _wrong_encoding(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        return data.decode("latin-1").encode("utf-16")
    i = rng.randrange(len(data)) if data else 0
    return data[:i] + "é\x00\x07ÿ".encode("latin-1") + data[i:]


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": _truncate, "flip": _flip_bytes, "delete-line": _delete_line,
    "duplicate-line": _duplicate_line, "huge-number": _huge_number,
    "encoding": _wrong_encoding,
}
_BINARY = {"gim-cdf", "cses-h5", "swarm-cdf"}


def make_mutant(sample: Sample, seed: int, folder: Path) -> tuple[str, Path]:
    """Write mutant number ``seed`` of ``sample`` into ``folder``; return (what, path)."""
    rng = random.Random(f"{sample.kind}-{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / sample.file_name
    special = seed % 20
    if special == 17:
        path.write_bytes(b"")
        return "empty", path
    if special == 18:
        path.mkdir()
        return "directory", path
    if special == 19:
        os.symlink(path.name, path)  # a link to itself: a loop
        return "symlink-loop", path
    raw = sample.path.read_bytes()
    what = rng.choice(sorted(MUTATIONS))
    if sample.kind in _BINARY and what in ("delete-line", "duplicate-line", "encoding"):
        what = rng.choice(("truncate", "flip", "huge-number"))
    compressed = raw[:2] == b"\x1f\x8b"
    if compressed and rng.random() < 0.7:
        # Mutate the content and compress it again: reaches the parser, not just gzip.
        content = MUTATIONS[what](read_bytes(sample.path), rng)
        path.write_bytes(gzip.compress(content, compresslevel=1))
        return what, path
    path.write_bytes(MUTATIONS[what](raw, rng))
    return ("raw-" if compressed else "") + what, path


# -- checks on an accepted result ------------------------------------------------------------

def check_result(kind: str, result: Any) -> str:
    """Why an accepted result is wrong ("" if it passes the readers' own guarantees)."""
    if isinstance(result, xr.Dataset):
        return _check_dataset(result)
    if isinstance(result, pd.DataFrame):
        return _check_table(kind, result)
    return f"unexpected result type {type(result).__name__}"


def _check_dataset(ds: xr.Dataset) -> str:
    if "time" in ds.dims and ds.sizes["time"] > 1:
        t = ds["time"].to_numpy()
        if not (np.diff(t) > np.timedelta64(0, "ns")).all():
            return "times not strictly increasing"
    for coord, limit in (("lat", 90.0), ("lon", 180.0)):
        if coord in ds.coords and ds[coord].size:
            v = ds[coord].to_numpy().astype(float)
            if np.nanmax(np.abs(v)) > limit + 1e-6:
                return f"{coord} {np.nanmax(np.abs(v))} off the globe"
    for var in ("tec", "rms"):
        if var in ds:
            v = ds[var].to_numpy()
            finite = v[np.isfinite(v)]
            if finite.size and (finite.max() > 1000.0 or finite.min() < -10.0):
                return f"{var} {finite.min()}..{finite.max()} TECU outside the physical range"
    return ""


#: Independent physical bounds on table columns (wider than any reader's own checks).
_TABLE_BOUNDS = {
    "latitude": (-90, 90), "longitude": (-180, 360), "depth_km": (-15, 1000),
    "magnitude": (-3, 10), "rms_s": (-1, 100), "azimuthal_gap_deg": (0, 360),
    "kp": (0, 9), "ap": (0, 400), "ap_daily": (0, 400), "dst_nT": (-2000, 500),
    "bz_gsm_nT": (-200, 200), "f107_obs_sfu": (0, 1000), "f107_adj_sfu": (0, 1000),
    "sunspot_number": (0, 1000), "inclination_deg": (0, 180),
}


def _check_table(kind: str, table: pd.DataFrame) -> str:
    if kind == "tle":
        for col in ("line1", "line2", "name"):
            if not table[col].astype(str).str.fullmatch(r"[\x20-\x7e]*").all():
                return f"non-printable character kept in {col}"
        bad_sum = [line for line in table["line1"].tolist() + table["line2"].tolist()
                   if len(line) >= 69 and int(line[68]) != _tle_checksum(line)]
        return f"bad checksum accepted: {bad_sum[0]!r}" if bad_sum else ""
    for col, (low, high) in _TABLE_BOUNDS.items():
        if col in table and table[col].dtype.kind == "f":
            v = table[col].to_numpy()
            if ((v < low) | (v > high)).any():
                return f"{col} {v[(v < low) | (v > high)][0]} outside {low}..{high} kept"
    for col in table.columns:
        if table[col].dtype.kind == "f" and np.isinf(table[col].to_numpy()).any():
            return f"infinite value in {col}"
        if table[col].dtype.kind == "O" or str(table[col].dtype).startswith("str"):
            text = table[col].dropna().astype(str)
            if text.str.contains(r"[\x00-\x08\x0b-\x1f]", regex=True).any():
                return f"control character kept in {col}"
    if "time" in table and kind in ("celestrak-sw", "gfz-kp", "wdc-dst", "iri-apf107",
                                    "omni-hourly"):
        t = table["time"].to_numpy()
        if len(t) > 1 and not (np.diff(t) > np.timedelta64(0, "ns")).all():
            return "index times not strictly increasing"
    return ""


def _tle_checksum(line: str) -> int:
    return sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68]) % 10


def outcome(sample: Sample, path: Path) -> tuple[str, str]:
    """Read ``path`` as ``ionoquake info`` would; return (outcome, detail)."""
    try:
        registry.sniff(path)
        result = registry.read(path, format=sample.format)
    except IonoquakeError as exc:
        return "error", str(exc).split("\n")[0][:200]
    except Exception as exc:  # that is what the harness looks for
        return "crash", f"{type(exc).__name__}: {exc}"[:300]
    problem = check_result(sample.kind, result)
    return ("invalid", problem) if problem else ("accepted", "")
