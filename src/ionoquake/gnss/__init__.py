"""Receiver-level GNSS ionosphere: slant TEC from RINEX, and disturbances around an earthquake.

A stage beside :mod:`ionoquake.detect` and :mod:`ionoquake.orbits` (it imports only
:mod:`ionoquake.sources`, :mod:`ionoquake.store` and the shared modules).

**The container** (one for every source of line-of-sight TEC: RINEX processed here, the
Madrigal export read by :mod:`ionoquake.sources.madrigal`) is an :class:`xarray.Dataset`
with dimensions ``(time, receiver, satellite)``:

========================  ====================================================================
``time``                  coordinate, ``datetime64[ns]``, UTC (GPS time converted; no zone)
``receiver``              coordinate, site id, lower case (``"bele"``, ``"0759"``)
``satellite``             coordinate, RINEX id ``"G05"``, ``"R12"``, ``"E11"``, ``"C07"``
``receiver_lat/lon``      (receiver), degrees north/east (WGS-84 geodetic)
``receiver_height``       (receiver), metres above the ellipsoid
``stec``                  slant TEC, TECU (1e16 el/m²); NaN where not observed
``stec_error``            its 1-sigma uncertainty, TECU (NaN where unknown)
``vtec``                  vertical TEC on the thin shell, TECU
``elevation``/``azimuth`` degrees; azimuth clockwise from north
``ipp_lat``/``ipp_lon``   ionospheric pierce point on the shell, degrees
``arc``                   int32 id of the continuous arc (per receiver and satellite), -1 = none
========================  ====================================================================

``attrs``: ``shell_height_km``, ``elevation_mask_deg``, ``source`` (files and their
SHA-256), ``biases`` (which satellite DCBs were removed, how the receiver bias was
estimated), ``levelling`` (how phase was levelled to code).
"""
