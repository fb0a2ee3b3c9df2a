"""Receiver TEC of a network on a Dask cluster: one task per receiver, orbits shared.

:func:`network_tec_on` gives what :func:`ionoquake.gnss.tec_files.network_slant_tec_files`
gives in process, value for value: each receiver's slant TEC depends only on its own file,
the orbits and the biases, so the receivers can be computed on any worker in any order.
The client reads the orbit and bias files once, computes every satellite's position on
the 30-s grid of the orbits' day (:meth:`~ionoquake.gnss.ephemeris.OrbitCache.fill_day`,
~0.7 s for BELE's GPS + GLONASS day) and digests the bias table
(:class:`~ionoquake.gnss.bias_lookup.NetworkBiases`), and broadcasts both: a worker
computes no orbit that the client has (each used to compute the day's orbits again on
its first receiver), only those of epochs off that grid, which it keeps for its next
receivers.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from ionoquake.errors import InputError
from ionoquake.gnss.bias_lookup import NetworkBiases
from ionoquake.gnss.ephemeris import OrbitCache
from ionoquake.gnss.tec import combine, slant_tec
from ionoquake.gnss.tec_files import (
    check_network,
    file_records,
    network_inputs,
    network_slant_tec_files,
)
from ionoquake.scale.cluster import TaskError, errors_returned, raise_returned, reused_heap
from ionoquake.sources import rinex_obs

__all__ = ["network_tec_on", "receiver_task"]


def receiver_task(obs: str, orbits: OrbitCache, biases: NetworkBiases | None,
                  shared: list[dict[str, Any]], options: dict[str, Any],
                  transform: Callable[[xr.Dataset], xr.Dataset] | None = None) -> xr.Dataset:
    """One receiver's container on a worker (``transform`` edits the observations first:
    the benchmark's synthetic network moves copies of real receivers). Under a Dask
    nanny's ``MALLOC_TRIM_THRESHOLD_`` the task keeps its freed memory while it runs
    (:func:`ionoquake.scale.cluster.reused_heap`: each array would be mapped afresh)."""
    with reused_heap():
        data = rinex_obs.read(obs)
        if transform is not None:
            data = transform(data)
        return slant_tec(data, orbits, biases=biases,
                         source=[*file_records([Path(obs)]), *shared], **options)


def _receiver_warned(obs: str, orbits: OrbitCache, biases: NetworkBiases | None,
                     shared: list[dict[str, Any]], options: dict[str, Any]
                     ) -> tuple[xr.Dataset | TaskError, list[tuple[type[Warning], str]]]:
    """:func:`receiver_task` and the warnings it gave on the worker, to be given again on
    the client (where ``ionoquake tec`` prints them), in their order; a bad file's error
    returned (:class:`~ionoquake.scale.cluster.TaskError`), its warnings with it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tec = errors_returned(receiver_task)(obs, orbits, biases, shared, options)
    return tec, [(w.category, str(w.message)) for w in caught]


def network_tec_on(client: Any, observations: Sequence[str | os.PathLike[str]],
                   orbits: Sequence[str | os.PathLike[str]], *,
                   biases: str | os.PathLike[str] | None = None,
                   on_file: Callable[[Path], None] | None = None,
                   **options: Any) -> xr.Dataset:
    """The receivers of ``observations`` in one container, one Dask task per receiver.

    ``client`` None computes in process (:func:`network_slant_tec_files`); ``options`` are
    the keywords of :func:`ionoquake.gnss.tec.slant_tec`. The warnings of the receivers
    (satellites without ephemerides, ...) are given again here, as the in-process run gives
    them; an error of a receiver is raised here, with its file's name.
    """
    if client is None:
        return network_slant_tec_files(observations, orbits, biases=biases, on_file=on_file,
                                       **options)
    check_network(observations, orbits)
    paths = [Path(p) for p in observations]
    for p in paths:  # their records are made on the workers, where they are read
        if not p.is_file():
            raise InputError(f"{p}: no such file")
    shared, cache, table = network_inputs(orbits, biases, fill_day=True)
    [orbit_future] = client.scatter([cache], broadcast=True)
    [table_future] = client.scatter([table], broadcast=True)
    futures = [client.submit(_receiver_warned, str(p), orbit_future, table_future, shared,
                             options, pure=False) for p in paths]
    receivers = []
    for future, path in zip(futures, paths, strict=True):
        tec, caught = future.result()
        for category, message in caught:
            warnings.warn(message, category, stacklevel=2)
        receivers.append(raise_returned(tec, client, futures))
        if on_file is not None:
            on_file(path)
    return receivers[0] if len(receivers) == 1 else combine(receivers)
