"""Alarm rules, gridded forecasts, seismicity baselines and the as-of data view.

* :mod:`~ionoquake.forecast.grid` -- the space-magnitude grid and cell areas;
* :mod:`~ionoquake.forecast.alarms` -- the alarm table (the interface to detection);
* :mod:`~ionoquake.forecast.baseline` -- uniform and smoothed-seismicity baselines, b-values;
* :mod:`~ionoquake.forecast.asof` -- the as-of view that hides data stamped at or after
  a forecast's issue time;
* :mod:`~ionoquake.forecast.gridded` -- forecasts = baseline × alarm gain × Gutenberg-Richter;
* :mod:`~ionoquake.forecast.archive` -- immutable storage with input/config hashes;
* :mod:`~ionoquake.forecast.run` -- one forecast per day over a period.
"""
