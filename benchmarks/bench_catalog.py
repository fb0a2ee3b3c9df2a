"""Benchmark: read the ComCat M>=4.5 1999-2017 set (7 files, ~115k events) and decluster it.

Compares ionoquake's ComCat reader with ObsPy 1.5's CSV plugin on the same file:
ObsPy has no ComCat reader, but ``obspy.read_events(path, "CSV", skipheader=1,
names={...})`` (``obspy.io.csv``) reads a ComCat export once its columns are
mapped, building one ``Event`` per row; ``obspy.io.csv.load_csv`` is its numpy
path (no Event objects, no validation). ObsPy reads plain text only, so each file
is decompressed to a temporary file first (not timed).

Run: ``.venv/bin/python benchmarks/bench_catalog.py [--repeat N] [--skip-obspy]``.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ionoquake.detect.decluster import decluster
from ionoquake.sources import catalog

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "catalogs"
COMCAT = DATA / "usgs_comcat_M4.5_1999-2017"
# ComCat column -> ObsPy CSV name (obspy.io.csv reads time, lat, lon, dep [km], mag,
# magtype, id); "_" columns are ignored.
OBSPY_NAMES = {0: "time", 1: "lat", 2: "lon", 3: "dep", 4: "mag", 5: "magtype", 11: "id",
               21: "_"}


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest wall-clock time of ``repeat`` runs, s, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-obspy", action="store_true")
    args = parser.parse_args()
    files = sorted(COMCAT.glob("*.csv.gz"))

    t_read, events = best_of(args.repeat, lambda: catalog.read(files))
    print(f"ionoquake read     {len(files)} files, {len(events):,} events: {t_read:6.2f} s")
    t_gk, mainshocks = best_of(args.repeat, lambda: decluster(events))
    print(f"ionoquake decluster (Gardner-Knopoff): {len(mainshocks):,} mainshocks: "
          f"{t_gk:6.2f} s")
    t_rb, rb = best_of(1, lambda: decluster(events, method="reasenberg"))
    print(f"ionoquake decluster (Reasenberg):      {len(rb):,} mainshocks: {t_rb:6.2f} s")
    if args.skip_obspy:
        return
    import obspy
    from obspy.io.csv.core import load_csv

    biggest = files[0]  # 1999-2004.csv.gz, 19,964 events
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / biggest.name.removesuffix(".gz")
        plain.write_bytes(gzip.decompress(biggest.read_bytes()))
        t_ours, ours = best_of(args.repeat, lambda: catalog.read(biggest))
        t_plain, _ = best_of(args.repeat, lambda: catalog.read(plain))
        t_obspy, theirs = best_of(1, lambda: obspy.read_events(
            str(plain), "CSV", skipheader=1, names=OBSPY_NAMES))
        t_numpy, array = best_of(args.repeat, lambda: load_csv(
            str(plain), skipheader=1, names=OBSPY_NAMES))
    print(f"\nsame file, {biggest.name} ({len(ours):,} events):")
    print(f"  ionoquake catalog.read (.gz)        {t_ours:6.3f} s")
    print(f"  ionoquake catalog.read (plain)      {t_plain:6.3f} s")
    print(f"  obspy.read_events(..., 'CSV')       {t_obspy:6.3f} s  ({len(theirs):,} events)"
          f"  ratio obspy/ionoquake = {t_obspy / t_plain:5.1f}")
    print(f"  obspy.io.csv.load_csv (numpy)       {t_numpy:6.3f} s  ({len(array):,} rows)"
          f"  ratio = {t_numpy / t_plain:5.1f}")


if __name__ == "__main__":
    main()
