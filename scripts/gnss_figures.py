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

    receiver_figures(args.data, args.out)


def receiver_figures(data: Path, out: Path) -> None:
    """From RINEX: the GEONET pair 0759/3040 (~3 km apart) and the BELE day, with numbers."""
    import warnings

    import matplotlib.pyplot as plt

    from ionoquake.gnss.tec_files import network_slant_tec_files, slant_tec_files

    rtk = data / "rinex/rtklib"
    pair = network_slant_tec_files([rtk / "07590920.05o", rtk / "30400920.05o"],
                                   [rtk / "07590920.05n"])
    d = pair["stec"].sel(receiver="0759") - pair["stec"].sel(receiver="3040")
    bias = float(d.mean())
    rms = float(np.sqrt(np.nanmean((d.values - bias) ** 2)))
    print(f"GEONET 0759 - 3040: receiver-bias difference {bias:.2f} TECU, STEC RMS after it "
          f"{rms:.2f} TECU over {int(np.isfinite(d.values).sum())} common samples")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, layout="constrained",
                                      height_ratios=[3, 1.4])
    t = pair["time"].values
    for k, sat in enumerate(pair["satellite"].values):
        a = pair["stec"].sel(receiver="0759", satellite=sat).values
        b = pair["stec"].sel(receiver="3040", satellite=sat).values + bias
        if not np.isfinite(a).any() or not np.isfinite(b).any():
            continue
        colour = f"C{k % 10}"
        top.plot(t, a, color=colour, linewidth=1.4, label=str(sat))
        top.plot(t, b, color=colour, linewidth=0.8, linestyle="--")
        bottom.plot(t, a - b, color=colour, linewidth=0.8)
    top.set_ylabel("slant TEC (TECU)")
    top.set_title("GEONET 0759 (solid) and 3040 (dashed, shifted by the receivers' bias "
                  f"difference, {bias:.1f} TECU), ~3 km apart, 2005-04-02, GPS", fontsize=9)
    top.legend(fontsize=7, ncol=4)
    bottom.axhline(0, color="0.5", linewidth=0.6)
    bottom.set_ylabel("difference (TECU)")
    bottom.set_xlabel("time (GPS)")
    bottom.set_title(f"difference: RMS {rms:.2f} TECU (per-arc levelling of code multipath)",
                     fontsize=9)
    save(fig, out / "gnss_geonet_pair.png")

    day = data / "rinex/pygnss_tec_2024-01-10"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bele = slant_tec_files(day / "BELE00BRA_R_20240100000_01D_30S_MO.crx.gz",
                               [day / "brdc0100.24n.gz", day / "brdc0100.24g.gz"],
                               biases=day / "CAS0OPSRAP_20240100000_01D_01D_DCB.BIA.gz")
    for w in caught:
        print("BELE:", str(w.message)[:160])
    vtec = bele["vtec"].isel(receiver=0)
    fig, ax = plt.subplots(figsize=(9, 3.6), layout="constrained")
    for sat in bele["satellite"].values:
        v = vtec.sel(satellite=sat).values
        if np.isfinite(v).any():
            ax.plot(bele["time"].values, v, linewidth=0.6,
                    color="C0" if str(sat).startswith("G") else "C1")
    ax.plot([], [], color="C0", label="GPS")
    ax.plot([], [], color="C1", label="GLONASS")
    ax.set(ylabel="vertical TEC at the pierce point (TECU)", xlabel="time (GPS)")
    ax.set_title("BELE (Belém, Brazil), 2024-01-10: every satellite's VTEC, CAS DCBs, receiver "
                 "bias estimated; post-sunset equatorial irregularities after 21 UT", fontsize=9)
    ax.legend(fontsize=8)
    save(fig, out / "gnss_bele_day.png")
    print(f"BELE: {int(np.isfinite(vtec.values).sum())} VTEC values, median "
          f"{float(np.nanmedian(vtec.values)):.1f} TECU")


if __name__ == "__main__":
    main()
