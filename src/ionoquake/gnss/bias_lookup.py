"""A bias table digested once for a network: the satellite DSBs and the stations it has.

:func:`ionoquake.gnss.tec.slant_tec` takes a Bias-SINEX table (or a mapping) and turns
it into the satellite and receiver DSB lookups of :mod:`ionoquake.gnss.biases` for every
receiver: on the CAS table of BELE's day (6,082 rows) that is ~25 ms of pandas per
receiver, a tenth of the receiver's slant TEC once the arcs are compiled. A
:class:`NetworkBiases` made once gives the same lookups: the satellite DSBs computed
once, a receiver's own DSBs computed (and kept) only if the table names its station at
all, an empty lookup otherwise — what :func:`~ionoquake.gnss.biases.receiver_dsb_table`
returns for a station without rows.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ionoquake.gnss.biases import receiver_dsb_table, satellite_dsb_table

_STATION_COLUMNS = ("station", "STATION", "site")  # those of ionoquake.gnss.biases


class NetworkBiases:
    """Satellite and per-receiver DSB lookups of one bias table, made once."""

    def __init__(self, table: Any) -> None:
        self.table = table
        self.satellite = satellite_dsb_table(table)
        self._receivers: dict[str, dict[tuple[str, str, str], float]] = {}
        self._stations: set[str] | None = None
        if isinstance(table, pd.DataFrame):
            column = next((c for c in _STATION_COLUMNS if c in table.columns), None)
            if column is not None:
                names = table[column].fillna("").astype(str).str.strip().str.upper().str[:4]
                self._stations = set(names.tolist())

    def receiver(self, station: str) -> dict[tuple[str, str, str], float]:
        """:func:`~ionoquake.gnss.biases.receiver_dsb_table` of ``station``, kept."""
        key = station.upper()[:4]
        if self._stations is not None and key not in self._stations:
            return {}
        if key not in self._receivers:
            self._receivers[key] = receiver_dsb_table(self.table, station)
        return self._receivers[key]
