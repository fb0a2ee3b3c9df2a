"""The OpenAPI document: valid (openapi-spec-validator) and every operation says what it answers.

A client generator needs a response schema per operation (issue N: 11 of 20 operations
declared none); the schemas of the table pages come from the table definitions
(:mod:`ionoquake.store.schema`) with the API's column names.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from ionoquake.service.api import create_app
from ionoquake.service.schemas import api_columns
from ionoquake.service.settings import Settings
from ionoquake.store import database, schema


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("store")
    with TestClient(create_app(Settings(root, database.database_url(root)))) as client:
        body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)  # raises on any violation of the OpenAPI 3.1 schema
    assert spec["openapi"].startswith("3.1")


def test_every_operation_declares_its_response_schema(spec: dict[str, Any]) -> None:
    missing = []
    operations = 0
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            operations += 1
            ok = op["responses"].get("200") or op["responses"].get("202")
            content = (ok or {}).get("content", {})
            # CSV and NetCDF forms are byte strings; every JSON form has a real schema
            schemas = [c.get("schema", {}) for media, c in content.items()
                       if media not in ("text/csv", "application/x-netcdf")]
            # a real schema: a type or alternatives, with the properties or items it has
            if not schemas or not all(s.get("type") in ("object", "array") and (
                    s.get("properties") or s.get("items")) for s in schemas):
                missing.append(f"{method.upper()} {path}")
    assert operations >= 20
    assert missing == []


def test_geojson_operations_declare_the_geojson_media_type(spec: dict[str, Any]) -> None:
    for path in ("/api/events", "/api/maps/{product}/grid", "/api/tracks"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert {"application/json", "application/geo+json"} <= set(content)
        assert set(content) <= {"application/json", "application/geo+json", "text/csv",
                                "application/x-netcdf"}
        fc = content["application/geo+json"]["schema"]
        assert fc["properties"]["type"]["const"] == "FeatureCollection"


def test_page_schemas_name_the_columns_as_the_api_writes_them(spec: dict[str, Any]) -> None:
    for name in ("events", "indices", "alarms", "clusters", "anomalies", "passes",
                 "forecasts", "evaluations"):
        page = spec["paths"][f"/api/{name}"]["get"]["responses"]["200"]["content"][
            "application/json"]["schema"]
        items = page["properties"]["items"]["items"]["properties"]
        assert list(items) == api_columns(getattr(schema, name))
    clusters = api_columns(schema.clusters)
    assert "lon_west" in clusters and "lon_east" in clusters and "lon_min" not in clusters
    time = spec["paths"]["/api/events"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["items"]["items"]["properties"]["time"]
    assert time["format"] == "date-time"
