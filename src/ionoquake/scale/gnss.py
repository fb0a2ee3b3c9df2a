"""Receiver TEC of a network on a Dask cluster: one task per receiver, orbits shared.

:func:`network_tec_on` gives what :func:`ionoquake.gnss.tec_files.network_slant_tec_files`
gives in process, value for value: each receiver's slant TEC depends only on its own file,
the orbits and the biases, so the receivers can be computed on any worker in any order.
The orbit and bias files are read once on the client and broadcast; each worker keeps one
:class:`~ionoquake.gnss.ephemeris.OrbitCache` per orbit set, so a satellite's orbit over the
day's epoch grid is computed once per worker, not once per receiver.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from ionoquake.errors import InputError
from ionoquake.gnss.ephemeris import OrbitCache
from ionoquake.gnss.tec import combine, slant_tec
from ionoquake.gnss.tec_files import file_records, network_slant_tec_files, read_orbits
from ionoquake.sources import bias_sinex, rinex_obs

__all__ = ["network_tec_on"]

#: Orbit caches of this worker process, by the key of the orbit set they were built for.
_CACHES: dict[str, OrbitCache] = {}


def receiver_task(obs: str, key: str, orbits: list[xr.Dataset], table: Any,
                  shared: list[dict[str, Any]], options: dict[str, Any],
                  transform: Callable[[xr.Dataset], xr.Dataset] | None = None) -> xr.Dataset:
    """One receiver's container on a worker (``transform`` edits the observations first:
    the benchmark's synthetic network moves copies of real receivers)."""
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = OrbitCache(orbits)
    data = rinex_obs.read(obs)
    if transform is not None:
        data = transform(data)
    return slant_tec(data, cache, biases=table, source=[*file_records([Path(obs)]), *shared],
                     **options)


def network_tec_on(client: Any, observations: Sequence[str | os.PathLike[str]],
                   orbits: Sequence[str | os.PathLike[str]], *,
                   biases: str | os.PathLike[str] | None = None,
                   on_file: Callable[[Path], None] | None = None,
                   **options: Any) -> xr.Dataset:
    """The receivers of ``observations`` in one container, one Dask task per receiver.

    ``client`` None computes in process (:func:`network_slant_tec_files`); ``options`` are
    the keywords of :func:`ionoquake.gnss.tec.slant_tec`.
    """
    if client is None:
        return network_slant_tec_files(observations, orbits, biases=biases, on_file=on_file,
                                       **options)
    if not observations:
        raise InputError("no RINEX observation file given")
    if not orbits:
        raise InputError(f"{observations[0]}: no navigation or SP3 file given: satellite "
                         "positions are needed for elevations and pierce points")
    paths = [Path(p) for p in observations]
    for p in paths:  # their records are made on the workers, where they are read
        if not p.is_file():
            raise InputError(f"{p}: no such file")
    shared = file_records([Path(p) for p in orbits] + ([Path(biases)] if biases else []))
    orbit_sets = [read_orbits(p) for p in orbits]
    table = bias_sinex.read(biases) if biases is not None else None
    [orbit_future] = client.scatter([orbit_sets], broadcast=True)
    [table_future] = client.scatter([table], broadcast=True)
    key = uuid.uuid4().hex
    futures = [client.submit(receiver_task, str(p), key, orbit_future, table_future, shared,
                             options, pure=False) for p in paths]
    receivers = []
    for future, path in zip(futures, paths, strict=True):
        receivers.append(future.result())
        if on_file is not None:
            on_file(path)
    return receivers[0] if len(receivers) == 1 else combine(receivers)
