"""Orbits: SGP4 propagation, ground tracks, passes over zones, coverage.

* :mod:`~ionoquake.orbits.frames` -- TEME → ITRS (GMST82 at UT1) → WGS84 geodetic;
* :mod:`~ionoquake.orbits.propagate` -- vectorised, chunked SGP4 (``SatrecArray``);
* :mod:`~ionoquake.orbits.dense` -- SGP4 nodes + cubic Hermite for dense tracks;
* :mod:`~ionoquake.orbits.track` -- ground tracks as ``Dataset(time)``;
* :mod:`~ionoquake.orbits.zones`, :mod:`~ionoquake.orbits.passes`,
  :mod:`~ionoquake.orbits.coverage` -- zones, passes, revisits and coverage;
* :mod:`~ionoquake.pipeline.passes` -- the ``ionoquake passes`` command.

Local solar time and magnetic latitude are in :mod:`ionoquake.geo`.
Requires the ``orbits`` extra (``sgp4``, ``skyfield``); nothing here downloads.
"""
