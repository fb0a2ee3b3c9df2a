"""Regenerate docs/figures/gnss_*.png and print the numbers quoted in docs/gnss.md.

    .venv/bin/python scripts/gnss_figures.py [--data ../shared/data] [--out docs/figures]

Reads the Madrigal export of the 2024-01-01 Noto earthquake, runs the CID analysis, its
null at fake origin times, and the reference-curve precursor test on a synthetic series
(the export starts 10 min before the origin: too short for the method, see docs/gnss.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.gnss.disturbances import NOTO_2024, disturbances_around
from ionoquake.gnss.disturbances_fit import fit_travel_time
from ionoquake.gnss.disturbances_null import disturbance_null
from ionoquake.gnss.precursor import default_family, precursor_test
from ionoquake.report.figures import save
from ionoquake.report.gnss_figures import (
    ipp_map_figure,
    null_figure,
    reference_curve_figure,
    travel_time_figure,
    wiggle_figure,
)
from ionoquake.sources import madrigal

REPO = Path(__file__).resolve().parents[1]
NOTO = "tec_los_madrigal/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"


def drop_synthetic(seed: int = 11, drop_tecu: float = 3.0) -> tuple[pd.Series, np.datetime64]:
    """3 days of VTEC (diurnal curve + red noise) with a post-seismic drop, no precursor
    (the same construction as tests/gnss/test_precursor.py)."""
    rng = np.random.default_rng(seed)
    n = 3 * 24 * 120
    times = pd.date_range("2024-01-01", periods=n, freq="30s")
    hours = np.arange(n) / 120.0
    base = 20 + 8 * np.sin(2 * np.pi * (hours - 9) / 24) + 2 * np.sin(2 * np.pi * hours / 12)
    red = np.convolve(rng.normal(0, 1, n), np.ones(60) / np.sqrt(60), "same") * 0.15
    origin = times[n // 2]
    minutes = np.asarray((times - origin) / pd.Timedelta(minutes=1))
    drop = np.where(minutes >= 8, -drop_tecu * np.exp(-(minutes - 8) / 25.0), 0.0)
    return pd.Series(base + red + drop, index=times), origin.to_datetime64()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "figures")
    args = parser.parse_args()

    ds = madrigal.read(args.data / NOTO)
    check = json.loads(ds.attrs["timestamp_check"])
    check.pop("shifted_epochs")
    print("timestamp check:", check)
    quake = NOTO_2024
    dstec, picks = disturbances_around(ds, quake)
    columns = ["receiver", "satellite", "distance_km", "azimuth_deg", "onset_min", "peak_min",
               "amplitude_tecu", "snr", "noise_tecu"]
    with pd.option_context("display.width", 160, "display.max_rows", 100):
        print(picks.loc[picks["detected"], columns].round(2).to_string(index=False))
    fits = {"all detected, peak": fit_travel_time(picks),
            "SNR>=5 within 500 km, peak": fit_travel_time(picks, min_snr=5, max_distance_km=500),
            "SNR>=5 within 500 km, onset": fit_travel_time(picks, pick="onset", min_snr=5,
                                                          max_distance_km=500),
            "SNR>=8, peak": fit_travel_time(picks, min_snr=8)}
    for name, fit in fits.items():
        print(f"fit {name}:", json.dumps(fit.to_dict()))
    null = disturbance_null(ds, quake)
    print("null:", json.dumps(null.to_dict()))
    null5 = disturbance_null(ds, quake, snr_threshold=5.0)
    print("null SNR 5:", json.dumps(null5.to_dict()))

    save(wiggle_figure(dstec, picks, quake), args.out / "gnss_noto_wiggles.png")
    save(travel_time_figure(picks, [fits["SNR>=5 within 500 km, peak"], fits["SNR>=8, peak"]]),
         args.out / "gnss_noto_travel_time.png")
    save(ipp_map_figure(ds, dstec, quake, np.datetime64("2024-01-01T07:21:00")),
         args.out / "gnss_noto_ipp_map.png")
    save(null_figure(null), args.out / "gnss_noto_null.png")

    family = default_family()
    vtec, origin = drop_synthetic()
    result = precursor_test(vtec, origin, family=family)
    print("precursor test, post-seismic drop synthetic:", json.dumps(
        {k: v for k, v in result.to_dict().items() if k not in ("labels", "scores")}))
    worst = int(np.nanargmax(result.scores))
    best = int(np.nanargmin(np.abs(result.scores)))
    print("largest single-fit score:", result.labels[worst], round(result.scores[worst], 2))
    save(reference_curve_figure(vtec, origin, result, family, shown=(worst, best)),
         args.out / "gnss_precursor_sensitivity.png")


if __name__ == "__main__":
    main()
