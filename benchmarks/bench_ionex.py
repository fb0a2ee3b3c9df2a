"""IONEX parsing speed: ionoquake against the peers quakeion 0.1.1 and spinifex, same input.

Run with ``make bench`` (installs the ``bench`` extra). For each real daily file every
parser gets the same decompressed text; times are the median of repeated runs on this
machine; values are compared (max |difference| in TECU) so that a fast wrong parser
cannot win. quakeion reads only the TEC maps (it stops at the first RMS map);
ionoquake and spinifex read TEC and RMS.
"""

from __future__ import annotations

import gzip
import io
import statistics
import sys
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


def median_ms(func: Callable[[], object], repeat: int) -> float:
    func()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main() -> int:
    try:
        from quakeion.ionex import parse_ionex
        from spinifex.ionospheric.ionex_parser import _read_ionex_data
    except ImportError:
        print("install the peers first: pip install -e '.[bench]'", file=sys.stderr)
        return 1
    print(f"{'file':48s} {'ionoquake':>10s} {'quakeion':>10s} {'spinifex':>10s} "
          f"{'x quakeion':>10s} {'x spinifex':>10s}  max|dTEC| q / s")
    for rel in FILES:
        raw = gzip.decompress((SHARED / rel).read_bytes())
        text = raw.decode("latin-1")
        ours = ionex.parse(raw, rel)
        q = parse_ionex(text)
        s = _read_ionex_data(io.StringIO(text))
        t_ours = median_ms(lambda raw=raw: ionex.parse(raw, "x"), 30)
        t_q = median_ms(lambda text=text: parse_ionex(text), 5)
        t_s = median_ms(lambda text=text: _read_ionex_data(io.StringIO(text)), 5)
        # quakeion: (time, lat as in file, lon); spinifex: (time, lon, lat as in file).
        ours_tec = ours["tec"].values.astype(np.float64)
        q_tec = q.tec[:, np.argsort(q.lats), :]
        s_tec = np.transpose(s.tec, (0, 2, 1))[:, np.argsort(s.lats), :]
        dq = np.nanmax(np.abs(ours_tec - q_tec))
        ds = np.nanmax(np.abs(ours_tec - s_tec))
        print(f"{rel.split('/')[-1]:48s} {t_ours:8.1f}ms {t_q:8.1f}ms {t_s:8.1f}ms "
              f"{t_q / t_ours:9.1f}x {t_s / t_ours:9.1f}x  {dq:.3f} / {ds:.3f}")
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
