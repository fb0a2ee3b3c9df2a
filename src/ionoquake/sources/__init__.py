"""Readers and fetchers, one module per kind of data.

Each reader module exposes ``read(path, *, ...)`` returning the project's
container for its kind of data (an ``xarray.Dataset`` for grids and tracks, a
``pandas.DataFrame`` for tables), a cheap ``can_read(path)`` sniff, and where a
public archive exists ``fetch(start, end, cache_dir, ...)``. Readers register
themselves, with their kind (maps, indices, tle, catalog, track, calibration), in the
one registry :mod:`ionoquake.sources.registry`; :func:`read` dispatches on the sniff.
"""

from ionoquake.sources import catalog, cses, gim_cdf, indices, ionex, swarm, tle
from ionoquake.sources.registry import formats, read

__all__ = ["catalog", "cses", "formats", "gim_cdf", "indices", "ionex", "read", "swarm", "tle"]
