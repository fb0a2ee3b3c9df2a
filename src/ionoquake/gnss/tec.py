"""Slant and vertical TEC of one receiver, in the container of :mod:`ionoquake.gnss`.

The steps (Ciraolo et al. 2007, J. Geodesy 81:111 for the levelling and its error;
Schaer 1999 for the thin shell):

1. per system, a frequency pair and its codes (:mod:`ionoquake.gnss.combinations`);
2. geometry-free phase and code combinations in TECU, Melbourne–Wübbena;
3. arcs: gaps and cycle slips (:mod:`ionoquake.gnss.arcs`);
4. **levelling**: per arc, the phase is shifted by the elevation-weighted mean
   (weight sin²e, epochs above the mask) of code − phase; the 1-σ error of that shift
   is the weighted scatter of code − phase over √(arc length / 5 min) (multipath
   decorrelates over minutes, so not over √n epochs) — ``stec_error``;
5. satellite DCBs from a Bias-SINEX table when given (:mod:`ionoquake.gnss.biases`);
6. the receiver bias per system by the minimum-standard-deviation method;
7. elevation mask, pierce point on the shell, VTEC = STEC / M(e).

Epochs are converted from GPS time to UTC. Satellites without an orbit (no navigation
for their system) are named in an :class:`EphemerisWarning` and left out.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ionoquake.errors import InputError
from ionoquake.gnss import arcs as arcs_mod
from ionoquake.gnss.bias_lookup import NetworkBiases
from ionoquake.gnss.biases import dsb_ns, min_std_receiver_bias
from ionoquake.gnss.combinations import (
    SPEED_OF_LIGHT,
    Signals,
    choose_signals,
    combine_signals,
    tecu_per_metre,
)
from ionoquake.gnss.ephemeris import OrbitCache
from ionoquake.gnss.geometry import (
    elevation_azimuth,
    geodetic_from_ecef,
    mapping_function,
    pierce_point,
)
from ionoquake.gnss.timescales import (
    gps_to_utc,
    round_epochs,
    seconds_since_gps_epoch,
    utc_to_gps,
)

Float = NDArray[np.float64]
SYSTEM_NAMES = {"G": "GPS", "R": "GLONASS", "E": "Galileo", "C": "BeiDou", "J": "QZSS",
                "S": "SBAS", "I": "NavIC"}


class EphemerisWarning(UserWarning):
    """Observed satellites left out for lack of an orbit (or a GLONASS channel)."""


class BiasWarning(UserWarning):
    """A receiver bias that could not be estimated and stays in the STEC."""


def _name(obs: xr.Dataset) -> str:
    return str(obs.attrs.get("filename", "observation data"))


def _receiver_id(obs: xr.Dataset, receiver: str | None) -> str:
    if receiver:
        return receiver.lower()
    marker = str(obs.attrs.get("marker_name", "")).strip()
    if marker:
        return marker[:4].lower()
    name = _name(obs)
    return name[:4].lower() if name != "observation data" else "rx"


def _receiver_xyz(obs: xr.Dataset) -> Float:
    pos = obs.attrs.get("position")
    if pos is None:
        raise InputError(f"{_name(obs)}: no APPROX POSITION XYZ in the header: "
                         "elevations cannot be computed")
    xyz = np.asarray(json.loads(pos) if isinstance(pos, str) else pos, dtype=np.float64)
    if xyz.shape != (3,) or not np.all(np.isfinite(xyz)) or np.linalg.norm(xyz) < 6.0e6:
        raise InputError(f"{_name(obs)}: APPROX POSITION XYZ {xyz.tolist()} is not a position "
                         "on the Earth")
    return xyz


def _obs_gps_times(obs: xr.Dataset) -> NDArray[np.datetime64]:
    """GPS time of the epochs, snapped to the whole second (to 10 ms above 1 Hz).

    Receivers that do not steer their clock tag epochs a few ms off the nominal
    second (the GEONET file 07590920.05o: 00:58:30.005); the geometry-free combinations
    are free of the receiver clock, so the nominal epoch is the right label."""
    raw = np.asarray(obs["time"].values, dtype="datetime64[ns]")
    step = np.median(np.diff(raw)).astype(np.int64) / 1e9 if raw.size > 1 else 1.0
    times = round_epochs(raw, 1000 if step >= 0.999 else 10)
    system = str(obs.attrs.get("time_system", "GPS")).strip().upper()
    if system in ("GLO", "UTC"):
        return utc_to_gps(times)
    if system == "BDT":
        return times + np.timedelta64(14, "s")
    return times


def slant_tec(obs: xr.Dataset, orbits: xr.Dataset | Sequence[xr.Dataset] | OrbitCache, *,
              biases: Any = None, shell_height_km: float = 350.0,
              elevation_mask_deg: float = 20.0, receiver: str | None = None,
              channels: Mapping[str, int] | None = None,
              min_arc_s: float = arcs_mod.MIN_ARC_S, max_gap_s: float = arcs_mod.MAX_GAP_S,
              source: Sequence[Mapping[str, Any]] | None = None) -> xr.Dataset:
    """Slant and vertical TEC of one receiver (the container, receiver dimension of 1).

    Parameters
    ----------
    obs
        Observations in georinex's layout (``time``, ``sv``; one variable per code;
        ``attrs["position"]`` the approximate ECEF position, m).
    orbits
        Broadcast navigation and/or SP3 Dataset(s) (:mod:`ionoquake.gnss.ephemeris`),
        or an :class:`~ionoquake.gnss.ephemeris.OrbitCache` of them shared by the
        receivers of a network (the orbits are then computed once).
    biases
        Satellite DSBs (:func:`ionoquake.gnss.biases.satellite_dsb_table`), or a
        :class:`~ionoquake.gnss.bias_lookup.NetworkBiases` of them made once for a
        network; None: no satellite DCB removed (the receiver-bias estimate then absorbs
        their mean).
    shell_height_km, elevation_mask_deg
        Thin-shell height (km) and elevation mask (degrees).
    channels
        GLONASS channel per satellite; default from the ``FreqNum`` of ``orbits``, else
        the observation header's ``GLONASS SLOT / FRQ #``.
    source
        Provenance records of the input files (name, SHA-256), kept in ``attrs``.
    """
    cache = orbits if isinstance(orbits, OrbitCache) else OrbitCache(orbits)
    xyz = _receiver_xyz(obs)
    lat, lon, height = geodetic_from_ecef(xyz)
    gps_t = _obs_gps_times(obs)
    t_s = seconds_since_gps_epoch(gps_t)
    chans = dict(channels) if channels is not None else _channels(obs, cache)
    lookup = biases if isinstance(biases, NetworkBiases) else NetworkBiases(biases)
    dsb = lookup.satellite
    chosen = _signals_per_system(obs, dsb)
    rx_dsb = lookup.receiver(_receiver_id(obs, receiver))
    sats_all = [str(s) for s in obs["sv"].values]
    sats = [s for s in sats_all if s[0] in chosen]
    # positions of the satellites the orbits have (others: NaN, as satellite_positions
    # gives), geometry where there is a position: elementwise, so the same values
    listed = set(cache.satellites())
    cand = [j for j, s in enumerate(sats) if s in listed]
    pos = cache([sats[j] for j in cand], gps_t)
    seen_c = np.isfinite(pos).all(axis=2)
    has_orbit = np.zeros(len(sats), dtype=bool)
    has_orbit[cand] = np.isfinite(pos).any(axis=(0, 2))
    if not has_orbit.any():
        first, last = (str(np.datetime64(x, "s")) for x in (gps_t[0], gps_t[-1]))
        raise InputError(f"{_name(obs)}: no ephemeris for any observed satellite between "
                         f"{first} and {last} GPS time: navigation or SP3 files of that day "
                         "are needed")
    _warn_missing(obs, sats, has_orbit, chans)
    seen = np.zeros((gps_t.size, len(sats)), dtype=bool)
    seen[:, cand] = seen_c
    elev = np.full(seen.shape, np.nan)
    azim = np.full(seen.shape, np.nan)
    elev[seen], azim[seen] = elevation_azimuth(xyz, pos[seen_c])
    mapping = np.full(seen.shape, np.nan)
    mapping[seen] = mapping_function(elev[seen], shell_height_km)

    n_t = gps_t.size
    stec = np.full((n_t, len(sats)), np.nan)
    err = np.full_like(stec, np.nan)
    arc = np.full(stec.shape, -1, dtype=np.int32)
    bias_notes: dict[str, Any] = {}
    next_arc = 0
    for system, sig in chosen.items():
        cols = [j for j, s in enumerate(sats) if s[0] == system and has_orbit[j]
                and (system != "R" or s in chans)]
        if not cols:
            continue
        comb = combine_signals(obs, sig, [sats[j] for j in cols], chans)
        k_cols = tecu_per_metre(comb.f1, comb.f2)
        for c, j in enumerate(cols):
            ids = arcs_mod.arc_ids(t_s, comb.gf_phase_m[:, c], comb.mw_cycles[:, c],
                                   min_arc_s=min_arc_s, start_id=next_arc, max_gap_s=max_gap_s)
            lev, sig_lev, ids = _level(comb.stec_phase[:, c], comb.stec_code[:, c], ids,
                                       elev[:, j], elevation_mask_deg, t_s, min_arc_s)
            next_arc = max(next_arc, int(ids.max()) + 1)
            d = dsb_ns(dsb, sats[j], *sig.code_pair.split("-")) if dsb else np.nan
            if np.isfinite(d):
                lev = lev + k_cols[c] * SPEED_OF_LIGHT * d * 1e-9
            stec[:, j], err[:, j], arc[:, j] = lev, sig_lev, ids
        bias_notes[system] = _remove_receiver_bias(stec, elev, mapping, cols, k_cols,
                                                   elevation_mask_deg, sig, dsb, rx_dsb, sats,
                                                   _name(obs))
    stec[~(elev >= elevation_mask_deg)] = np.nan
    formed = np.isfinite(stec)  # pierce points where there is TEC (the container's rule)
    err[~formed] = np.nan
    arc[~formed] = -1
    ipp_lat = np.full(stec.shape, np.nan)
    ipp_lon = np.full(stec.shape, np.nan)
    ipp_lat[formed], ipp_lon[formed] = pierce_point(lat, lon, elev[formed], azim[formed],
                                                    shell_height_km)
    return _container(
        utc=gps_to_utc(gps_t), receiver=_receiver_id(obs, receiver), sats=sats,
        lat=lat, lon=lon, height=height, stec=stec, err=err, vtec=stec / mapping,
        elev=elev, azim=azim, ipp=(ipp_lat, ipp_lon), arc=arc,
        attrs=_attrs(obs, chosen, bias_notes, shell_height_km, elevation_mask_deg,
                     min_arc_s, max_gap_s, source, bool(dsb)))


def _channels(obs: xr.Dataset, cache: OrbitCache) -> dict[str, int]:
    """GLONASS channels: the RINEX 3 header's ``GLONASS SLOT / FRQ #`` (reader attribute
    ``glonass_slots``), then the navigation ``FreqNum`` (which wins where both exist)."""
    slots = obs.attrs.get("glonass_slots") or {}
    if isinstance(slots, str):
        slots = json.loads(slots.replace("'", '"')) if slots.strip() else {}
    return {**{str(k): int(v) for k, v in dict(slots).items()}, **cache.glonass_channels()}


def _signals_per_system(obs: xr.Dataset,
                        dsb: Mapping[tuple[str, str, str], float]) -> dict[str, Signals]:
    """Per system, the signals to combine; code pairs with satellite DSBs preferred."""
    pairs: dict[str, set[frozenset[str]]] = {}
    for sv, a, b in dsb:
        pairs.setdefault(sv[0], set()).add(frozenset((a, b)))
    systems = sorted({str(s)[0] for s in obs["sv"].values})
    finite: dict[str, NDArray[np.bool_]] = {}
    chosen = {s: sig for s in systems
              if (sig := choose_signals(obs, s, pairs.get(s), finite)) is not None}
    if not chosen:
        codes = ", ".join(str(v) for v in obs.data_vars)
        raise InputError(f"{_name(obs)}: single-frequency observations ({codes}): no "
                         "dual-frequency TEC can be formed")
    return chosen


def _warn_missing(obs: xr.Dataset, sats: list[str], has_orbit: NDArray[np.bool_],
                  chans: Mapping[str, int]) -> None:
    no_orbit = [s for j, s in enumerate(sats) if not has_orbit[j]]
    no_chan = [s for s in sats if s[0] == "R" and s not in chans]
    by_system: dict[str, list[str]] = {}
    for s in no_orbit:
        by_system.setdefault(SYSTEM_NAMES.get(s[0], s[0]), []).append(s)
    if by_system:
        text = "; ".join(f"{k} ({len(v)}: {' '.join(v)})" for k, v in by_system.items())
        warnings.warn(f"{_name(obs)}: no ephemeris for {text}: left out", EphemerisWarning,
                      stacklevel=3)
    if no_chan:
        warnings.warn(f"{_name(obs)}: no GLONASS frequency channel for {' '.join(no_chan)}: "
                      "left out", EphemerisWarning, stacklevel=3)


def _level(phase: Float, code: Float, ids: NDArray[np.int32], elev: Float, mask_deg: float,
           t_s: Float, min_arc_s: float) -> tuple[Float, Float, NDArray[np.int32]]:
    """Phase levelled to code per arc; its 1-σ error; arcs with less than ``min_arc_s``
    above the mask are dropped (−1)."""
    out = np.full(phase.shape, np.nan)
    err = np.full(phase.shape, np.nan)
    ids = ids.copy()
    good = (elev >= mask_deg) & np.isfinite(code) & np.isfinite(phase)
    weight = np.sin(np.radians(elev)) ** 2  # elementwise: the same values as per arc
    code_phase = code - phase
    for first, last in _arc_spans(ids):  # each arc within its span, epochs in order
        part = slice(first, last + 1)
        sel = ids[part] == ids[first]
        use = sel & good[part]
        t_use = t_s[part][use]
        if t_use.size == 0 or t_use[-1] - t_use[0] < min_arc_s:
            ids[part][sel] = -1
            continue
        w = weight[part][use]
        diff = code_phase[part][use]
        shift = float(np.sum(w * diff) / np.sum(w))
        scatter = float(np.sqrt(np.sum(w * (diff - shift) ** 2) / np.sum(w)))
        duration = float(t_use[-1] - t_use[0])
        out[part][sel] = phase[part][sel] + shift
        err[part][sel] = scatter / np.sqrt(max(1.0, duration / 300.0))
    return out, err, ids


def _arc_spans(ids: NDArray[np.int32]) -> list[tuple[int, int]]:
    """First and last epoch of each arc of one satellite (its ids rise with time, an arc's
    epochs are contiguous but for dropped outliers and missing epochs, −1)."""
    rows = np.flatnonzero(ids >= 0)
    if rows.size == 0:
        return []
    change = np.flatnonzero(np.diff(ids[rows])) + 1
    firsts = rows[np.concatenate(([0], change))]
    lasts = rows[np.concatenate((change - 1, [rows.size - 1]))]
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def _remove_receiver_bias(stec: Float, elev: Float, mapping: Float, cols: list[int],
                          k_tecu_per_m: Float, mask_deg: float, sig: Signals,
                          dsb: Mapping[Any, float], rx_dsb: Mapping[Any, float],
                          sats: list[str], label: str) -> dict[str, Any]:
    """Remove the receiver bias of one system in place: the receiver's DSB from the
    table if given there, else the minimum-standard-deviation estimate (computed and
    reported in both cases)."""
    sub = np.where(elev[:, cols] >= mask_deg, stec[:, cols], np.nan)
    estimate = min_std_receiver_bias(sub, mapping[:, cols])
    code1, code2 = sig.code_pair.split("-")
    rx = dsb_ns(rx_dsb, sig.system, code1, code2)
    if np.isfinite(rx):
        shift = -k_tecu_per_m * SPEED_OF_LIGHT * rx * 1e-9  # P2 − P1 carries −c·DSB
        method = f"receiver DSB {rx:g} ns from the bias table"
    else:
        shift = np.full(len(cols), estimate)
        method = "minimum standard deviation estimate"
        if not np.isfinite(estimate):
            method = ("not estimated (never two satellites above the mask at one epoch): "
                      "the STEC includes the receiver bias")
            warnings.warn(f"{label}: {SYSTEM_NAMES.get(sig.system, sig.system)} receiver bias "
                          f"{method}",
                          BiasWarning, stacklevel=3)
    if np.all(np.isfinite(shift)):
        stec[:, cols] -= shift[None, :]
    with_dcb = [sats[j] for j in cols if np.isfinite(dsb_ns(dsb, sats[j], code1, code2))]
    if dsb and not with_dcb:
        warnings.warn(f"{label}: the bias table has no satellite DSB {sig.code_pair} for "
                      f"{SYSTEM_NAMES.get(sig.system, sig.system)}: its satellite DCBs stay in "
                      "the STEC (partly absorbed by the receiver-bias estimate)", BiasWarning,
                      stacklevel=3)
    applied = float(np.mean(shift))
    return {"codes": sig.code_pair, "phases": "-".join(sig.phase),
            "receiver_bias": method,
            "receiver_bias_tecu": round(applied, 3) if np.isfinite(applied) else None,
            "min_std_estimate_tecu": round(estimate, 3) if np.isfinite(estimate) else None,
            "satellites_with_dcb": len(with_dcb), "satellites": len(cols)}


def _attrs(obs: xr.Dataset, chosen: Mapping[str, Signals], notes: Mapping[str, Any],
           shell_height_km: float, mask_deg: float, min_arc_s: float, max_gap_s: float,
           source: Sequence[Mapping[str, Any]] | None, have_dcb: bool) -> dict[str, Any]:
    dcb = ("satellite DSBs of the given bias table added (K·c·DSB) for the code pair of "
           "each system, where the table has it (per_system: satellites_with_dcb)"
           if have_dcb else "none: no satellite DCB table given; the receiver-bias "
           "estimate absorbs their mean")
    return {
        "shell_height_km": float(shell_height_km),
        "elevation_mask_deg": float(mask_deg),
        "source": json.dumps(list(source) if source else [{"file": _name(obs)}]),
        "biases": json.dumps({
            "satellite_dcb": dcb,
            "receiver_bias": "the receiver's DSB from the bias table where given, else the "
                             "minimum standard deviation of VTEC between satellites per epoch "
                             "(Ma & Maruyama 2003), one per receiver and system",
            "per_system": {SYSTEM_NAMES.get(k, k): v for k, v in notes.items()}}),
        "levelling": ("phase levelled to code per arc: sin²(elevation)-weighted mean of "
                      f"code − phase above {mask_deg:g}°; arcs split at gaps > {max_gap_s:g} s "
                      f"and at cycle slips (geometry-free {arcs_mod.GF_THRESHOLD_M} m, "
                      f"Melbourne–Wübbena {arcs_mod.MW_THRESHOLD_CYCLES} cycles); arcs with less "
                      f"than {min_arc_s:g} s above the mask dropped"),
        "signals": json.dumps({SYSTEM_NAMES.get(k, k): {"bands": list(v.bands),
                                                         "codes": list(v.code),
                                                         "phases": list(v.phase)}
                               for k, v in chosen.items()}),
        "time_scale": "UTC (GPS time of the observations minus leap seconds)",
    }


def _container(*, utc: NDArray[np.datetime64], receiver: str, sats: list[str], lat: float,
               lon: float, height: float, stec: Float, err: Float, vtec: Float, elev: Float,
               azim: Float, ipp: tuple[Float, Float], arc: NDArray[np.int32],
               attrs: dict[str, Any]) -> xr.Dataset:
    dims = ("time", "receiver", "satellite")

    def cube(a: NDArray[Any]) -> tuple[tuple[str, str, str], NDArray[Any]]:
        return dims, a[:, None, :]

    # elevation and azimuth are NaN together where there is no position, the pierce
    # points NaN where there is no STEC: the arrays go in as they are
    ds = xr.Dataset(
        {
            "stec": cube(stec), "stec_error": cube(err), "vtec": cube(vtec),
            "elevation": cube(elev), "azimuth": cube(azim),
            "ipp_lat": cube(ipp[0]), "ipp_lon": cube(ipp[1]),
            "arc": cube(arc),
            "receiver_lat": (("receiver",), np.array([lat])),
            "receiver_lon": (("receiver",), np.array([lon])),
            "receiver_height": (("receiver",), np.array([height])),
        },
        coords={"time": utc, "receiver": np.array([receiver]),
                "satellite": np.array(sats, dtype=str)},
        attrs=attrs,
    )
    for name, unit in (("stec", "TECU"), ("stec_error", "TECU"), ("vtec", "TECU"),
                       ("elevation", "degree"), ("azimuth", "degree"), ("ipp_lat", "degree_north"),
                       ("ipp_lon", "degree_east"), ("receiver_lat", "degree_north"),
                       ("receiver_lon", "degree_east"), ("receiver_height", "m")):
        ds[name].attrs["units"] = unit
    return ds


def combine(receivers: Sequence[xr.Dataset]) -> xr.Dataset:
    """Several receivers' containers in one (outer join on time and satellite).

    The shell height and elevation mask must agree; ``source``, ``biases`` and
    ``signals`` become JSON objects keyed by receiver."""
    if not receivers:
        raise InputError("combine: no receivers given")
    first = receivers[0].attrs
    for ds in receivers[1:]:
        for key in ("shell_height_km", "elevation_mask_deg"):
            if ds.attrs.get(key) != first.get(key):
                raise InputError(f"combine: {key} differs between receivers "
                                 f"({first.get(key)} and {ds.attrs.get(key)})")
    names = [str(r) for ds in receivers for r in ds["receiver"].values]
    if len(set(names)) != len(names):
        raise InputError(f"combine: receiver ids repeat: {names}")
    out = xr.concat(list(receivers), dim="receiver", join="outer", combine_attrs="override",
                    fill_value={"arc": -1}, data_vars="all")
    out["arc"] = out["arc"].fillna(-1).astype(np.int32)
    for key in ("source", "biases", "signals"):
        out.attrs[key] = json.dumps({str(r): _for_receiver(ds.attrs[key], str(r))
                                     for ds in receivers for r in ds["receiver"].values})
    return out


def _for_receiver(text: str, receiver: str) -> Any:
    """One receiver's part of a JSON attribute (already keyed by receiver if combined)."""
    value = json.loads(text)
    if isinstance(value, dict) and receiver in value:
        return value[receiver]
    return value
