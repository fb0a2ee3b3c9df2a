"""QuakeML 1.0 and 1.2 event files into the catalogue table, and back.

A streaming reader on the standard library's ``xml.etree.ElementTree.XMLPullParser``:
the file is fed line by line, each ``<event>`` is turned into one row as soon as
it closes and is then dropped, so memory stays flat for large FDSN responses, and
every value's line number is known for error messages. Namespaces are ignored,
so QuakeML 1.2 (BED namespace), 1.2-RC3 and the older 1.0 of EMSC/NERIES read
alike. ObsPy is not needed (``ionoquake[seismo]`` only for
:func:`from_obspy`).

Per event the preferred origin and magnitude are used (``preferredOriginID``,
``preferredMagnitudeID``), else the first ones. QuakeML gives depth in metres
(QuakeML 1.2 BED, ``Origin.depth``); some producers wrote kilometres (the IRIS
event service before 2013, GeoNet's RC3 example): pass ``depth_unit="km"`` for those.

The event id is the ComCat id (``catalog:eventsource`` + ``catalog:eventid``)
where the ANSS attributes are present, so that QuakeML and CSV from ComCat
agree, else the event's ``publicID``.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from ionoquake.sources.catalog_table import (
    CatalogError,
    catalog_frame,
    empty_catalog,
    parse_numbers,
    parse_times,
    text_column,
)
from ionoquake.sources.compression import head, read_bytes
from ionoquake.sources.registry import register

__all__ = ["can_read", "from_obspy", "read", "write"]

PathLike = str | os.PathLike[str]
_ANSS = "{http://anss.org/xmlns/catalog/0.1}"
_VALUES = ("time", "latitude", "longitude", "depth", "mag")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def can_read(path: Path) -> bool:
    """True if the file's first bytes hold a ``<quakeml`` root element."""
    start = head(path, 2048)
    return b"<quakeml" in start or b":quakeml" in start


class _Event:
    """What one ``<event>`` element gives the table, with line numbers of the values."""

    def __init__(self, element: ET.Element, lines: dict[int, int]) -> None:
        self.origins: dict[str, dict[str, Any]] = {}
        self.magnitudes: dict[str, dict[str, Any]] = {}
        self.info: dict[str, Any] = {"line": lines.get(id(element), 0)}
        source, event = element.get(_ANSS + "eventsource"), element.get(_ANSS + "eventid")
        self.info["event_id"] = (source + event if source and event
                                 else element.get("publicID"))
        for child in element:
            tag = _local(child.tag)
            if tag in ("origin", "magnitude"):
                record: dict[str, Any] = {"line": lines.get(id(child), 0)}
                for item in child:
                    field = _local(item.tag)
                    value = item.find("{*}value") if field in _VALUES else item
                    if value is not None and value.text is not None:
                        record[field] = value.text.strip()
                        record[f"{field}_line"] = lines.get(id(value), record["line"])
                    if field == "creationInfo":
                        record["agency"] = _text(item, "agencyID")
                store = self.origins if tag == "origin" else self.magnitudes
                store[child.get("publicID", f"#{len(store)}")] = record
            elif tag in ("preferredOriginID", "preferredMagnitudeID", "type"):
                self.info[tag] = (child.text or "").strip()
            elif tag == "description" and self.info.get("place") is None:
                self.info["place"] = _text(child, "text")

    def row(self) -> dict[str, Any]:
        origin = self.origins.get(self.info.get("preferredOriginID", ""),
                                  next(iter(self.origins.values()), {}))
        magnitude = self.magnitudes.get(self.info.get("preferredMagnitudeID", ""),
                                        next(iter(self.magnitudes.values()), {}))
        line = self.info["line"]
        return {
            "time": origin.get("time"), "time_line": origin.get("time_line", line),
            "latitude": origin.get("latitude"), "latitude_line": origin.get("latitude_line", line),
            "longitude": origin.get("longitude"),
            "longitude_line": origin.get("longitude_line", line),
            "depth": origin.get("depth"), "depth_line": origin.get("depth_line", line),
            "mag": magnitude.get("mag"), "mag_line": magnitude.get("mag_line", line),
            "magnitude_type": magnitude.get("type"), "event_id": self.info["event_id"],
            "event_id_line": line, "event_type": self.info.get("type"),
            "place": self.info.get("place"), "agency": origin.get("agency"),
            "magnitude_agency": magnitude.get("agency"),
        }


def _text(element: ET.Element, tag: str) -> str | None:
    found = element.find("{*}" + tag)
    return None if found is None or found.text is None else found.text.strip()


def _events(path: Path) -> list[dict[str, Any]]:
    """Stream the file: one row dict per ``<event>``; the element is dropped once read."""
    data = read_bytes(path)
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    lines: dict[int, int] = {}
    parents: list[ET.Element] = []
    rows: list[dict[str, Any]] = []
    saw_root = False
    try:
        for number, text in enumerate(data.splitlines(keepends=True), start=1):
            parser.feed(text)
            for event in parser.read_events():
                kind, element = event[0], event[-1]
                assert isinstance(element, ET.Element)
                if kind == "start":
                    if not saw_root and _local(element.tag) != "quakeml":
                        raise CatalogError(f"{path.name} line {number}: root element is "
                                           f"<{_local(element.tag)}>, expected <quakeml>")
                    saw_root = True
                    parents.append(element)
                    lines[id(element)] = number
                    continue
                parents.pop()
                if _local(element.tag) == "event":
                    rows.append(_Event(element, lines).row())
                    if parents:
                        parents[-1].remove(element)
                    lines.clear()
        parser.close()
    except ET.ParseError as exc:
        raise CatalogError(f"{path.name} line {exc.position[0]}: not well-formed XML "
                           f"({str(exc).split(':')[0]})") from None
    return rows


def read(path: PathLike, *, depth_unit: Literal["m", "km"] = "m") -> pd.DataFrame:
    """Read a QuakeML 1.0/1.2 file (plain or compressed) into the catalogue table.

    Parameters
    ----------
    path
        The file.
    depth_unit
        Unit of ``Origin.depth`` in the file: ``"m"`` as the QuakeML standard says,
        ``"km"`` for producers that wrote kilometres.
    """
    path = Path(path)
    rows = _events(path)
    if not rows:
        return empty_catalog()
    raw = pd.DataFrame(rows)
    name = path.name

    def num(field: str) -> np.ndarray:
        return parse_numbers(raw[field], name=name, field=field,
                             lines=raw[f"{field}_line"].to_numpy(dtype=np.int64))

    scale = 1000.0 if depth_unit == "m" else 1.0
    core = {
        "time": parse_times(raw["time"], name=name, field="time",
                            lines=raw["time_line"].to_numpy(dtype=np.int64)),
        "latitude": num("latitude"), "longitude": num("longitude"),
        "depth_km": num("depth") / scale, "magnitude": num("mag"),
        "magnitude_type": raw["magnitude_type"], "event_id": raw["event_id"],
        "source": np.full(len(raw), "quakeml", dtype=object),
    }
    extra = pd.DataFrame({c: text_column(raw[c])
                          for c in ("event_type", "place", "agency", "magnitude_agency")})
    lines = raw["event_id_line"].to_numpy(dtype=np.int64)
    return catalog_frame(core, extra, name=name, lines=lines,
                         fields={"depth_km": "depth", "magnitude": "mag",
                                 "event_id": "publicID"},
                         required=("time", "latitude", "longitude", "event_id"))


#: ComCat ``status`` -> QuakeML 1.2 (evaluationMode, evaluationStatus) of the origin
#: (ComCat's "reviewed" means a seismologist reviewed it; "automatic" that nobody has).
_STATUS = {"reviewed": ("manual", "reviewed"), "automatic": ("automatic", "preliminary"),
           "manual": ("manual", "confirmed"), "deleted": (None, "rejected")}


def _field(row: dict[str, Any], *names: str) -> Any:
    """The first of ``names`` the row has a value for (None if none)."""
    for name in names:
        value = row.get(name)
        if value is not None and not (isinstance(value, float) and np.isnan(value)) \
                and not (not isinstance(value, str) and pd.isna(value)) and value != "":
            return value
    return None


def _quantity(tag: str, value: float, uncertainty: Any = None, *, indent: str) -> str:
    error = "" if uncertainty is None else f"<uncertainty>{float(uncertainty)!r}</uncertainty>"
    return f"{indent}<{tag}><value>{float(value)!r}</value>{error}</{tag}>\n"


def _origin(row: dict[str, Any], rid: str) -> list[str]:
    pad = "        "
    time = pd.Timestamp(row["time"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    out = [f"      <origin publicID={quoteattr(rid + '/origin')}>\n"]
    horizontal = _field(row, "horizontal_error_km")
    if horizontal is not None:
        out.append(f"{pad}<originUncertainty><horizontalUncertainty>"
                   f"{float(horizontal) * 1000.0!r}</horizontalUncertainty>"
                   "<preferredDescription>horizontal uncertainty</preferredDescription>"
                   "</originUncertainty>\n")
    out.append(f"{pad}<time><value>{time}</value></time>\n")
    out.append(_quantity("latitude", row["latitude"], indent=pad))
    out.append(_quantity("longitude", row["longitude"], indent=pad))
    if _field(row, "depth_km") is not None:
        error = _field(row, "depth_error_km")
        out.append(_quantity("depth", float(row["depth_km"]) * 1000.0,
                             None if error is None else float(error) * 1000.0, indent=pad))
    quality = {"usedStationCount": _field(row, "station_count"),
               "standardError": _field(row, "rms_s"),
               "azimuthalGap": _field(row, "azimuthal_gap_deg"),
               "minimumDistance": _field(row, "min_distance_deg")}
    if any(v is not None for v in quality.values()):
        items = "".join(f"<{k}>{int(v) if k == 'usedStationCount' else float(v)!r}</{k}>"
                        for k, v in quality.items() if v is not None)
        out.append(f"{pad}<quality>{items}</quality>\n")
    mode, status = _STATUS.get(str(_field(row, "status") or "").lower(), (None, None))
    if mode:
        out.append(f"{pad}<evaluationMode>{mode}</evaluationMode>\n")
    if status:
        out.append(f"{pad}<evaluationStatus>{status}</evaluationStatus>\n")
    agency = _field(row, "agency", "location_source", "network")
    if agency is not None:
        out.append(f"{pad}<creationInfo><agencyID>{escape(str(agency))}</agencyID>"
                   "</creationInfo>\n")
    out.append("      </origin>\n")
    return out


def _magnitude(row: dict[str, Any], rid: str) -> list[str]:
    pad = "        "
    kind = _field(row, "magnitude_type")
    out = [f"      <magnitude publicID={quoteattr(rid + '/magnitude')}>\n",
           _quantity("mag", row["magnitude"], _field(row, "magnitude_error"), indent=pad),
           f"{pad}<type>{'' if kind is None else escape(str(kind))}</type>\n",
           f"{pad}<originID>{escape(rid)}/origin</originID>\n"]
    count = _field(row, "magnitude_station_count")
    if count is not None:
        out.append(f"{pad}<stationCount>{int(count)}</stationCount>\n")
    agency = _field(row, "magnitude_agency", "magnitude_source")
    if agency is not None:
        out.append(f"{pad}<creationInfo><agencyID>{escape(str(agency))}</agencyID>"
                   "</creationInfo>\n")
    out.append("      </magnitude>\n")
    return out


def write(catalog: pd.DataFrame, path: PathLike, *, authority: str = "ionoquake") -> Path:
    """Write the catalogue table as QuakeML 1.2 (one origin and magnitude per event).

    Depths are written in metres, as the standard says. ``publicID`` s are
    ``smi:<authority>/event/<event_id>``. Besides the core columns, what the table has of
    these is kept: ``place`` (event description, region name), ``event_type`` (event
    type), ``status`` (the origin's evaluation mode and status: ComCat ``reviewed`` is
    manual/reviewed, ``automatic`` automatic/preliminary), the agency (``agency``,
    ``location_source`` or ``network``; ``magnitude_agency`` or ``magnitude_source``: the
    creation info's agency), the errors (``horizontal_error_km`` as the origin's
    horizontal uncertainty and ``depth_error_km`` as the depth's, both in m;
    ``magnitude_error``) and the quality numbers (stations, rms, gap, minimum distance).
    """
    path = Path(path)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<q:quakeml xmlns="http://quakeml.org/xmlns/bed/1.2" '
             'xmlns:q="http://quakeml.org/xmlns/quakeml/1.2">\n'
             f'  <eventParameters publicID="smi:{escape(authority)}/catalog">\n']
    for record in catalog.to_dict("records"):
        row = {str(k): v for k, v in record.items()}
        rid = f"smi:{authority}/event/{row['event_id']}"
        parts.append(f"    <event publicID={quoteattr(rid)}>\n")
        place = _field(row, "place")
        if place is not None:
            parts.append(f"      <description><text>{escape(str(place))}</text>"
                         "<type>region name</type></description>\n")
        parts += _origin(row, rid)
        if _field(row, "magnitude") is not None:
            parts += _magnitude(row, rid)
        parts.append(f"      <preferredOriginID>{escape(rid)}/origin</preferredOriginID>\n")
        if _field(row, "magnitude") is not None:
            parts.append(f"      <preferredMagnitudeID>{escape(rid)}/magnitude"
                         f"</preferredMagnitudeID>\n")
        event_type = _field(row, "event_type")
        if event_type is not None:
            parts.append(f"      <type>{escape(str(event_type))}</type>\n")
        parts.append("    </event>\n")
    parts.append("  </eventParameters>\n</q:quakeml>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


def from_obspy(catalog: Any) -> pd.DataFrame:
    """Turn an ObsPy ``Catalog`` (``pip install ionoquake[seismo]``) into the table."""
    rows = []
    for event in catalog:
        origin = event.preferred_origin() or (event.origins[0] if event.origins else None)
        magnitude = event.preferred_magnitude() or (event.magnitudes[0]
                                                    if event.magnitudes else None)
        rows.append({
            "time": None if origin is None else origin.time.datetime,
            "latitude": None if origin is None else origin.latitude,
            "longitude": None if origin is None else origin.longitude,
            "depth_km": (np.nan if origin is None or origin.depth is None
                         else origin.depth / 1000.0),
            "magnitude": np.nan if magnitude is None else magnitude.mag,
            "magnitude_type": None if magnitude is None else magnitude.magnitude_type,
            "event_id": str(event.resource_id),
        })
    if not rows:
        return empty_catalog()
    raw = pd.DataFrame(rows)
    core = {c: raw[c].to_numpy() for c in raw.columns}
    core["time"] = pd.to_datetime(raw["time"]).to_numpy()
    core["source"] = np.full(len(raw), "obspy", dtype=object)
    return catalog_frame(core, name="<obspy catalog>")


register("quakeml", "catalog", can_read, read, "QuakeML 1.0/1.2 earthquake catalogue")
