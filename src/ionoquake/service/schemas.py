"""The response schemas of the API (OpenAPI 3.1 / JSON Schema 2020-12), from where data are defined.

Every operation declares what it answers, so that a client generator works: the pages
of the table endpoints from the table definitions (:mod:`ionoquake.store.schema`, whose
column names the API keeps), GeoJSON as ``application/geo+json``
FeatureCollections (RFC 7946), and the fixed shapes of the map, track and job answers.
Times are ISO 8601 UTC strings with ``Z`` (:mod:`ionoquake.times`): JSON Schema
``"format": "date-time"``. ``null`` stands for a missing value (SQL NULL, NaN).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

__all__ = ["GEOJSON", "api_columns", "array_of", "json_responses", "obj",
           "page_schema", "row_schema"]

GEOJSON = "application/geo+json"
TIME = {"type": "string", "format": "date-time",
        "description": "ISO 8601 UTC, YYYY-MM-DDTHH:MM:SS.fffZ"}
NUMBER = {"type": "number"}
STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null``."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Any], required: tuple[str, ...] | None = None,
        description: str = "") -> dict[str, Any]:
    """An object schema with ``properties`` (all required unless said)."""
    out: dict[str, Any] = {"type": "object", "properties": properties,
                           "required": list(properties if required is None else required)}
    if description:
        out["description"] = description
    return out


def array_of(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _column_schema(column: sa.Column[Any]) -> dict[str, Any]:
    kind: Any = column.type
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, sa.DateTime):
        schema: dict[str, Any] = dict(TIME)
    elif isinstance(kind, sa.Boolean):
        schema = dict(BOOLEAN)
    elif isinstance(kind, sa.Integer):
        schema = dict(INTEGER)
    elif isinstance(kind, sa.Float | sa.Numeric):
        schema = dict(NUMBER)
    elif isinstance(kind, sa.Date):
        schema = {"type": "string", "format": "date"}
    else:
        schema = dict(STRING)
    return nullable(schema) if column.nullable else schema


def api_columns(table: sa.Table) -> list[str]:
    """The table's column names as the API writes them."""
    return [c.name for c in table.columns]


def row_schema(table: sa.Table) -> dict[str, Any]:
    """One row of ``table`` as the API writes it."""
    return obj({c.name: _column_schema(c) for c in table.columns},
               description=f"A row of the {table.name} table.")


def page_schema(table: sa.Table) -> dict[str, Any]:
    """A page of ``table``: ``total`` rows matching, ``limit``, ``offset`` and the ``items``."""
    return obj({"total": INTEGER, "limit": INTEGER, "offset": INTEGER,
                "items": array_of(row_schema(table))},
               description=f"A page of the {table.name} table, oldest first.")


def _geometry() -> dict[str, Any]:
    return nullable(obj({"type": {"type": "string", "enum": [
        "Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon"]},
        "coordinates": {"type": "array"}},
        description="RFC 7946 geometry: [longitude, latitude] positions; polygon rings "
                    "counter-clockwise and closed once, split at the antimeridian."))


def feature_collection(properties: dict[str, Any] | None = None,
                       extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A GeoJSON FeatureCollection whose features carry ``properties``."""
    feature = obj({"type": {"type": "string", "const": "Feature"},
                   "id": {"anyOf": [STRING, INTEGER]},
                   "geometry": _geometry(),
                   "properties": obj(properties, required=()) if properties
                   else {"type": "object"}}, required=("type", "geometry", "properties"))
    return obj({"type": {"type": "string", "const": "FeatureCollection"},
                "features": array_of(feature), **(extra or {})},
               required=("type", "features"))


def json_responses(schema: dict[str, Any], geojson: dict[str, Any] | None = None,
                   status: int = 200, description: str = "Successful Response", *,
                   csv: bool = False, netcdf: bool = False
                   ) -> dict[int | str, dict[str, Any]]:
    """``responses=`` of a route: ``schema`` as JSON, ``geojson`` as GeoJSON if given, and
    the CSV (``format=csv``) or NetCDF (``format=netcdf``) forms it offers."""
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if geojson is not None:
        content[GEOJSON] = {"schema": geojson}
    if csv:
        content["text/csv"] = {"schema": {"type": "string",
                                          "description": "RFC 4180 CSV with a header row"}}
    if netcdf:
        content["application/x-netcdf"] = {"schema": {
            "type": "string", "format": "binary", "description": "CF-1.8 NetCDF"}}
    return {status: {"description": description, "content": content}}
