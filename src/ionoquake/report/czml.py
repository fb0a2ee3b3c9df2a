"""A CZML document (Cesium's scene format) of a plan: orbits, stations, alarm zones, contacts.

Built with ``czml3`` (CZML 1.0, https://github.com/AnalyticalGraphicsInc/czml-writer/wiki):

* ``document`` -- the clock over the plan's period;
* ``sat-<norad>`` -- each satellite's Earth-fixed (``FIXED``) position, sampled
  (Lagrange interpolation, degree 5), with its path (one orbit behind);
* ``station-<name>`` -- a point and a label at each ground station;
* ``alarm-<id>`` -- an ellipse of the alarm zone's radius on the ground, shown while
  the alarm is on;
* ``contact-<k>`` -- a line from station to satellite during each assigned contact.

Positions are given here (the pipeline computes them); nothing is propagated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["plan_czml"]

_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def _utc(t: Any) -> dt.datetime:
    return pd.Timestamp(t).floor("us").tz_localize("UTC").to_pydatetime()


def _interval(a: Any, b: Any) -> Any:
    from czml3.types import TimeInterval

    return TimeInterval(start=_utc(a), end=_utc(b))


def plan_czml(tracks: Mapping[int, tuple[str, NDArray[np.datetime64], NDArray[np.float64]]],
              stations: pd.DataFrame, start: Any, end: Any, *,
              alarms: pd.DataFrame | None = None, contacts: pd.DataFrame | None = None,
              period_s: float = 5700.0) -> str:
    """The CZML text (a JSON array of packets) of a plan.

    Parameters
    ----------
    tracks
        NORAD id → (name, naive-UTC times, (n, 3) Earth-fixed positions in km).
    stations
        The station table (``name``, ``lat``, ``lon``, ``height_m``).
    start, end
        The clock's span (naive UTC).
    alarms
        ``alarm_id`` (optional), ``start``, ``end``, ``lat``, ``lon``, ``radius_km``.
    contacts
        The contact table; rows with ``track_s`` > 0 become station-satellite lines.
    period_s
        How much of the path to draw behind each satellite (one LEO orbit).
    """
    from czml3 import Document, Packet
    from czml3.enums import InterpolationAlgorithms, ReferenceFrames
    from czml3.properties import (
        Clock,
        Color,
        Ellipse,
        Label,
        Material,
        Path,
        Point,
        Polyline,
        PolylineMaterial,
        Position,
        PositionList,
        SolidColorMaterial,
    )
    from czml3.types import ReferenceListValue

    epoch = _utc(start)
    packets = [Packet(id="document", name="ionoquake plan", version="1.0",
                      clock=Clock(currentTime=epoch, multiplier=60,
                                  interval=_interval(start, end)))]
    for k, (norad, (name, times, xyz)) in enumerate(tracks.items()):
        rgb = _COLORS[k % len(_COLORS)]
        t_s = (np.asarray(times, dtype="datetime64[ns]") - np.datetime64(pd.Timestamp(start)))
        offsets = t_s / np.timedelta64(1, "s")
        samples = np.column_stack([offsets, np.asarray(xyz) * 1000.0]).ravel()
        packets.append(Packet(
            id=f"sat-{norad}", name=name, availability=_interval(start, end),
            position=Position(epoch=epoch, cartesian=[round(float(v), 3) for v in samples],
                              interpolationAlgorithm=InterpolationAlgorithms.LAGRANGE,
                              interpolationDegree=5, referenceFrame=ReferenceFrames.FIXED),
            point=Point(pixelSize=6, color=Color(rgba=[*rgb, 255])),
            label=Label(text=name, font="11px sans-serif"),
            path=Path(leadTime=0, trailTime=period_s, width=1, resolution=60,
                      material=PolylineMaterial(
                          solidColor=SolidColorMaterial(color=Color(rgba=[*rgb, 160])))),
        ))
    for _, st in stations.iterrows():
        packets.append(Packet(
            id=f"station-{st['name']}", name=f"{st['name']} ({st['agency']})",
            position=Position(cartographicDegrees=[float(st["lon"]), float(st["lat"]),
                                                   float(st["height_m"])]),
            point=Point(pixelSize=8, color=Color(rgba=[255, 255, 255, 255])),
            label=Label(text=str(st["name"]), font="12px sans-serif"),
        ))
    if alarms is not None:
        ids = (alarms["alarm_id"].astype(str).tolist() if "alarm_id" in alarms
               else [f"alarm-{i}" for i in range(len(alarms))])
        for zid, (_, a) in zip(ids, alarms.iterrows(), strict=True):
            radius_m = float(a["radius_km"]) * 1000.0
            packets.append(Packet(
                id=zid if zid.startswith("alarm") else f"alarm-{zid}",
                name=f"alarm zone {zid}", availability=_interval(a["start"], a["end"]),
                position=Position(cartographicDegrees=[float(a["lon"]), float(a["lat"]), 0.0]),
                ellipse=Ellipse(semiMajorAxis=radius_m, semiMinorAxis=radius_m,
                                material=Material(solidColor=SolidColorMaterial(
                                    color=Color(rgba=[255, 0, 0, 70]))),
                                outline=True, outlineColor=Color(rgba=[255, 0, 0, 255])),
            ))
    if contacts is not None:
        shown = contacts[contacts["track_s"] > 0]
        for k, (_, c) in enumerate(shown.iterrows()):
            packets.append(Packet(
                id=f"contact-{k}", name=f"{c['satellite']} → {c['station']}",
                availability=_interval(c["track_start"], c["track_end"]),
                polyline=Polyline(
                    positions=PositionList(references=ReferenceListValue(
                        values=[f"station-{c['station']}#position",
                               f"sat-{c['norad_id']}#position"])),
                    width=2, material=PolylineMaterial(
                        solidColor=SolidColorMaterial(color=Color(rgba=[0, 255, 0, 200])))),
            ))
    text = Document(packets=packets).dumps()
    json.loads(text)  # czml3 validated the packets; this checks the text is JSON
    return text
