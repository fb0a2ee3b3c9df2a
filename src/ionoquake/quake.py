"""One earthquake record for every stage: origin, epicentre, depth, magnitude, name, id.

Detection (:mod:`ionoquake.detect.event`: TEC at the epicentre and its zone) and the
receiver-level analysis (:mod:`ionoquake.gnss.disturbances`: pierce points around the
epicentre) are sibling stages; the record they share sits under both, like
:mod:`ionoquake.geo`. Catalogue rows (``store.catalogs`` tables, the database's events,
:mod:`ionoquake.sources.catalog` frames) become records through :meth:`Earthquake.from_row`,
and an event id through :func:`find_event`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.errors import InputError

__all__ = ["DEFAULT_DEPTH_KM", "Earthquake", "find_event"]

#: The depth (km) used where a catalogue gives none: the depth ComCat fixes for shallow
#: events whose depth the network could not constrain.
DEFAULT_DEPTH_KM = 10.0


@dataclass(frozen=True)
class Earthquake:
    """An earthquake: origin ``time`` (UTC, ``datetime64[ns]`` without zone), epicentre
    (degrees north and east), magnitude, depth (km, keyword only), name and catalogue id."""

    time: np.datetime64
    latitude: float
    longitude: float
    magnitude: float
    name: str = ""
    event_id: str = ""
    depth_km: float = field(default=DEFAULT_DEPTH_KM, kw_only=True)

    def rupture_length_km(self) -> float:
        """Subsurface rupture length, Wells & Coppersmith (1994, BSSA 84, 974), Table 2A,
        all slip types: log10 L = -2.44 + 0.59 M (M7.5 -> 97 km)."""
        return float(10.0 ** (-2.44 + 0.59 * self.magnitude))

    def to_attrs(self) -> dict[str, Any]:
        """The event as netCDF-safe attributes (``event_*``)."""
        out = {f"event_{k}": v for k, v in asdict(self).items()}
        out["event_time"] = pd.Timestamp(self.time).isoformat()
        return out

    @classmethod
    def from_row(cls, row: Any) -> Earthquake:
        """The record of a catalogue row (a mapping or a pandas row with ``time``,
        ``latitude``, ``longitude``, ``magnitude`` and optionally ``depth_km``, ``place``,
        ``event_id``); a zoned time is converted to UTC."""
        t = pd.Timestamp(row["time"])
        if t.tzinfo is not None:
            t = t.tz_convert("UTC").tz_localize(None)
        depth = row.get("depth_km")
        event_id = row.get("event_id")
        place = row.get("place")
        return cls(t.to_datetime64().astype("datetime64[ns]"), float(row["latitude"]),
                   float(row["longitude"]), float(row["magnitude"]),
                   str(place) if isinstance(place, str) and place else "",
                   str(event_id) if isinstance(event_id, str) and event_id else "",
                   depth_km=float(depth) if depth is not None and pd.notna(depth)
                   else DEFAULT_DEPTH_KM)


def find_event(catalog: pd.DataFrame, event_id: str, where: str = "the catalogue") -> Earthquake:
    """The event ``event_id`` of ``catalog`` (an ``event_id`` column); InputError naming the
    id and ``where`` when it is not there."""
    if "event_id" not in catalog.columns:
        raise InputError(f"{where} has no event_id column: cannot look up {event_id!r}")
    rows = catalog[catalog["event_id"] == event_id]
    if rows.empty:
        raise InputError(f"no event {event_id!r} in {where}")
    return Earthquake.from_row(rows.iloc[0])
