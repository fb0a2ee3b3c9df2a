"""Property-based requests against the API's own OpenAPI schema: never a server error.

schemathesis generates requests from every operation of ``/openapi.json`` (paths,
queries, bodies, edge values such as year 1 with an offset or a 2^63 offset) and we
check that the answer is never a 5xx: bad input gets a 4xx that says what is wrong.
Once with the write token (uploads of random bytes, triggered runs) and once without.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from ionoquake.pipeline.sync import sync_database  # noqa: E402
from ionoquake.service.api import create_app  # noqa: E402
from ionoquake.service.settings import Settings  # noqa: E402
from ionoquake.store import database, maps  # noqa: E402
from ionoquake.store.catalogs import ingest_files  # noqa: E402
from ionoquake.store.tles import ingest_tle_files  # noqa: E402

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def api_schema(bundled_data: Path, shared_data: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("fuzz")
    for f in sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("*.gz"))[-18:]:
        maps.ingest_file(root, f)
    ingest_files(root, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    ingest_tle_files(root, [bundled_data / "tle/celestrak_science_20191118.tle"])
    sync_database(root, database.connect(database.database_url(root)))
    app = create_app(Settings(root, database.database_url(root), TOKEN))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))


def _fuzz(api_schema: Any, headers: dict[str, str]) -> int:
    """Send generated requests to every operation; return how many operations were tried."""
    n = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @FUZZ
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, case.query,
                                                response.text[:300])

        check()
        n += 1
    return n


def test_no_anonymous_request_is_a_server_error(api_schema: Any) -> None:
    assert _fuzz(api_schema, {}) >= 20


def test_no_request_with_the_token_is_a_server_error(api_schema: Any) -> None:
    assert _fuzz(api_schema, {"Authorization": f"Bearer {TOKEN}"}) >= 20
