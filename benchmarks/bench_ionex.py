"""IONEX parsing speed: ionoquake against the peers quakeion 0.1.1 and spinifex, same input.

Run with ``make bench`` (installs the ``bench`` extra). For each real daily file every
parser gets the same decompressed text; times are the median of repeated runs on this
machine; values are compared (max |difference| in TECU) so that a fast wrong parser
cannot win. The machine may be shared: times are the best of N runs, the parsers taking
turns (so a burst of load hits all of them), and the load average is printed.
ionoquake reads the body of a file in one compiled pass (numba, ``sources/ionex_kernel.py``)
when numba is installed (``IONOQUAKE_KERNEL=numpy`` forces the numpy path, the reference;
both are timed). The compiled pass is cached on disk (numba ``cache=True``): the first
run on a machine pays its compilation, measured here in fresh processes with an empty and
then a filled cache. quakeion reads only
the TEC maps (it stops at the first RMS map); ionoquake and spinifex read TEC and RMS.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ionoquake.sources import ionex
from ionoquake.sources.compression import read_bytes

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ionex"
FILES = [
    "code_esa_2020008-010/codg0080.20i.gz",
    "single_days/COD0OPSFIN_20240350000_01D_01H_GIM.INX.gz",
    "code_esa_2020008-010/esag0080.20i.gz",
    "single_days/IGS0OPSFIN_20240350000_01D_02H_GIM.INX.gz",
    "jpl_2000326-2001014/jplg0130.01i.gz",
]


def best_ms(funcs: list[Callable[[], object]], rounds: int) -> list[tuple[float, float]]:
    """Best (wall, CPU) time (ms) of each function over ``rounds`` rounds, taking turns.

    CPU is the calling thread's CPU time: on a shared, oversubscribed machine it leaves
    out the time the process waited for a core (every parser here is single-threaded).
    """
    for func in funcs:
        func()
    best = [(float("inf"), float("inf"))] * len(funcs)
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            t0, c0 = time.perf_counter(), time.thread_time()
            func()
            wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
            best[i] = (min(best[i][0], wall), min(best[i][1], cpu))
    return [(w * 1e3, c * 1e3) for w, c in best]


TARGET = 5.0  # issue O: >= 5x quakeion on every file

_FIRST_RUN = """
import time
t0 = time.perf_counter()
from ionoquake.sources import ionex
t1 = time.perf_counter()
ionex.read({path!r})
t2 = time.perf_counter()
ionex.read({path!r})
t3 = time.perf_counter()
print((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3)
"""


def first_run_ms(path: Path) -> list[list[float]]:
    """Import, first and second read (ms) in fresh processes: empty numba cache, then filled.

    The cache is a temporary directory (``NUMBA_CACHE_DIR``), not the user's.
    """
    runs = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", _FIRST_RUN.format(path=str(path))],
                                 env=env, capture_output=True, text=True, check=True).stdout
            runs.append([float(v) for v in out.split()])
    return runs


def numpy_path(func: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        os.environ["IONOQUAKE_KERNEL"] = "numpy"
        try:
            return func()
        finally:
            os.environ.pop("IONOQUAKE_KERNEL")
    return run


def main() -> int:
    try:
        from quakeion.ionex import parse_ionex
        from spinifex.ionospheric.ionex_parser import _read_ionex_data
    except ImportError:
        print("install the peers first: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"{'file':44s} {'ionoquake':>9s} {'(numpy)':>8s} {'quakeion':>9s} {'spinifex':>9s} "
          f"{'x quakeion':>10s} {'(CPU)':>6s} {'x spinifex':>10s}  max|dTEC| q / s")
    # Warm-up round over every file first: without it the first file timed is slower for
    # every parser (the process's heap grows; in the 2026-12 runs codg0080.20i, first,
    # took 1.6x its time in second place, for quakeion as for ionoquake).
    for rel in FILES:
        raw = gzip.decompress((SHARED / rel).read_bytes())
        ionex.parse(raw, rel)
        parse_ionex(raw.decode("latin-1"))
        _read_ionex_data(io.StringIO(raw.decode("latin-1")))
    ratios = []
    for rel in FILES:
        raw = gzip.decompress((SHARED / rel).read_bytes())
        text = raw.decode("latin-1")
        ours = ionex.parse(raw, rel)
        q = parse_ionex(text)
        s = _read_ionex_data(io.StringIO(text))
        (t_ours, c_ours), (t_numpy, _), (t_q, c_q), (t_s, _) = best_ms(
            [lambda raw=raw: ionex.parse(raw, "x"),
             numpy_path(lambda raw=raw: ionex.parse(raw, "x")),
             lambda text=text: parse_ionex(text),
             lambda text=text: _read_ionex_data(io.StringIO(text))], 15)
        ratios.append((t_q / t_ours, c_q / c_ours))
        # quakeion: (time, lat as in file, lon); spinifex: (time, lon, lat as in file).
        ours_tec = ours["tec"].values.astype(np.float64)
        q_tec = q.tec[:, np.argsort(q.lats), :]
        s_tec = np.transpose(s.tec, (0, 2, 1))[:, np.argsort(s.lats), :]
        dq = np.nanmax(np.abs(ours_tec - q_tec))
        ds = np.nanmax(np.abs(ours_tec - s_tec))
        print(f"{rel.split('/')[-1]:44s} {t_ours:7.1f}ms {t_numpy:6.1f}ms {t_q:7.1f}ms "
              f"{t_s:7.1f}ms {t_q / t_ours:9.1f}x {c_q / c_ours:5.1f}x {t_s / t_ours:9.1f}x  "
              f"{dq:.3f} / {ds:.3f}")
    smallest = min(r[0] for r in ratios)
    print(f"smallest ratio to quakeion: {smallest:.1f}x wall, "
          f"{min(r[1] for r in ratios):.1f}x CPU; target >= {TARGET:g}x on every file: "
          f"{'met' if smallest >= TARGET else 'NOT met'}")
    (cold, warm) = first_run_ms(SHARED / FILES[0])
    print(f"first run (fresh process, {FILES[0].split('/')[-1]}): import {cold[0]:.0f} ms; "
          f"first read {cold[1]:.0f} ms with an empty numba cache (compilation), "
          f"{warm[1]:.0f} ms with the cache filled; later reads {warm[2]:.0f} ms")
    series = sorted((SHARED / "jpl_2000326-2001014").glob("*.gz"))
    texts = [read_bytes(p) for p in series]
    n_bytes = sum(len(t) for t in texts)
    t0 = time.perf_counter()
    for t in texts:
        ionex.parse(t, "x")
    parse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in series:
        ionex.read(p)
    read_s = time.perf_counter() - t0
    mb = n_bytes / 1e6
    print(f"55-day JPL series: {mb:.1f} MB of IONEX text; parse {mb / parse_s:.0f} MB/s "
          f"({parse_s:.2f} s); with gzip decompression {mb / read_s:.0f} MB/s ({read_s:.2f} s)")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
