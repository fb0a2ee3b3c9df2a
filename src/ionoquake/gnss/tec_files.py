"""Slant TEC from files: ionoquake's readers, and the files' SHA-256 in the provenance.

``slant_tec_files(obs, [nav or SP3 ...], biases=...)`` reads a RINEX observation file
(:mod:`ionoquake.sources.rinex_obs`), broadcast navigation (:mod:`ionoquake.sources.rinex_nav`)
or SP3 orbits (:mod:`ionoquake.sources.sp3`), chosen per file by their sniffers, and a
Bias-SINEX file (:mod:`ionoquake.sources.bias_sinex`), then calls
:func:`ionoquake.gnss.tec.slant_tec` with the file records (name, bytes, SHA-256) as
``source``. :func:`network_slant_tec_files` does the same for many receivers, reading
the orbits and the bias table once, computing each satellite's orbit once on the day's
30-s grid (:class:`~ionoquake.gnss.ephemeris.OrbitCache`; ~0.7 s for BELE's GPS +
GLONASS day) and digesting the bias table once
(:class:`~ionoquake.gnss.bias_lookup.NetworkBiases`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from ionoquake.errors import InputError
from ionoquake.gnss.bias_lookup import NetworkBiases
from ionoquake.gnss.ephemeris import OrbitCache
from ionoquake.gnss.tec import combine, slant_tec
from ionoquake.sources import bias_sinex, rinex_nav, rinex_obs, sp3
from ionoquake.store.provenance import file_record


def read_orbits(path: str | os.PathLike[str]) -> xr.Dataset:
    """A broadcast navigation or SP3 file, by its content."""
    path = Path(path)
    if sp3.can_read(path):
        return sp3.read(path)
    if rinex_nav.can_read(path):
        return rinex_nav.read(path)
    raise InputError(f"{path}: neither RINEX navigation nor SP3 orbits")


def file_records(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Provenance records (name, bytes, SHA-256) of input files that must exist."""
    for p in paths:
        if not p.is_file():
            raise InputError(f"{p}: no such file")
    records = [file_record(p) for p in paths]
    for rec in records:
        rec.pop("ingested_at", None)
    return records


def slant_tec_files(obs: str | os.PathLike[str], orbits: Sequence[str | os.PathLike[str]], *,
                    biases: str | os.PathLike[str] | None = None,
                    **options: Any) -> xr.Dataset:
    """:func:`ionoquake.gnss.tec.slant_tec` of files; ``options`` are its keywords."""
    return network_slant_tec_files([obs], orbits, biases=biases, **options)


def check_network(observations: Sequence[str | os.PathLike[str]],
                  orbits: Sequence[str | os.PathLike[str]]) -> None:
    """InputError unless there are receivers and orbits to compute them with."""
    if not observations:
        raise InputError("no RINEX observation file given")
    if not orbits:
        raise InputError(f"{observations[0]}: no navigation or SP3 file given: satellite "
                         "positions are needed for elevations and pierce points")


def network_inputs(orbits: Sequence[str | os.PathLike[str]],
                   biases: str | os.PathLike[str] | None, *, fill_day: bool
                   ) -> tuple[list[dict[str, Any]], OrbitCache, NetworkBiases | None]:
    """What a network's receivers share, read once: the orbit and bias files' records, the
    orbit cache (filled on the day's 30-s grid if ``fill_day``) and the digested biases."""
    shared = [Path(p) for p in orbits] + ([Path(biases)] if biases is not None else [])
    records = file_records(shared)
    cache = OrbitCache([read_orbits(p) for p in orbits])
    if fill_day:
        cache.fill_day()
    table = NetworkBiases(bias_sinex.read(biases)) if biases is not None else None
    return records, cache, table


def network_slant_tec_files(observations: Sequence[str | os.PathLike[str]],
                            orbits: Sequence[str | os.PathLike[str]], *,
                            biases: str | os.PathLike[str] | None = None,
                            on_file: Callable[[Path], None] | None = None,
                            **options: Any) -> xr.Dataset:
    """The receivers of ``observations`` in one container (:func:`ionoquake.gnss.tec.combine`),
    orbits read and computed once (on the day's 30-s grid for several receivers);
    ``options`` are the keywords of ``slant_tec``; ``on_file(path)`` is called after each
    receiver (progress bars)."""
    check_network(observations, orbits)
    # several receivers, with gaps too, all find their epochs on the day's grid
    shared_records, cache, table = network_inputs(orbits, biases,
                                                  fill_day=len(observations) > 1)
    receivers = []
    for obs in observations:
        source = file_records([Path(obs)]) + shared_records
        receivers.append(slant_tec(rinex_obs.read(obs), cache, biases=table, source=source,
                                   **options))
        if on_file is not None:
            on_file(Path(obs))
    return receivers[0] if len(receivers) == 1 else combine(receivers)
