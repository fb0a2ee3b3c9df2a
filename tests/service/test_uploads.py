"""Uploads over HTTP: the size limit, errors without server paths, the product from the
content, and what an upload stores served at once (no stale cached answer)."""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import HTTPException, UploadFile
from fastapi.testclient import TestClient

from ionoquake.errors import IonoquakeError
from ionoquake.pipeline.sync import sync_database
from ionoquake.service.api import create_app
from ionoquake.service.settings import Settings
from ionoquake.service.uploads import CHUNK_BYTES, save_upload
from ionoquake.sources.ionex_product import product_of
from ionoquake.store import database, maps
from ionoquake.store.catalogs import ingest_files

TOKEN = "upload-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CDF = "ionex/other_formats/gps_tec15min_igs_20230303_v01.cdf"
M5_2019 = "catalogs/usgs_comcat_M5_2019-10-01_2019-12-31.csv"  # 423 events (data/README.md)


def _client(store: Path, max_upload_mb: float = 100) -> TestClient:
    return TestClient(create_app(Settings(store, database.database_url(store), TOKEN,
                                          max_upload_mb)))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as c:
        yield c


def test_an_upload_past_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    big = b"x" * 200_000  # 0.19 MiB against a limit of 0.05 MiB
    with _client(tmp_path, max_upload_mb=0.05) as c:
        r = c.post("/api/ingest", files={"files": ("big.csv", big)}, headers=AUTH)
        assert r.status_code == 413
        assert r.json()["detail"] == ("upload larger than the limit of 0.05 MiB "
                                      "(IONOQUAKE_MAX_UPLOAD_MB)")

        def chunked() -> Iterator[bytes]:  # no Content-Length: counted while received
            yield b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n"
            for _ in range(20):
                yield big[:10_000]
            yield b"\r\n--b--\r\n"

        r = c.post("/api/ingest", content=chunked(),
                   headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413 and "larger than the limit" in r.text
        small = c.post("/api/ingest", files={"files": ("small.txt", b"x" * 1000)}, headers=AUTH)
        assert small.status_code == 400  # under the limit: read, and not a known format
    assert not (tmp_path / "tables").exists() and not (tmp_path / "maps").exists()


def test_the_upload_limit_comes_from_the_environment(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IONOQUAKE_MAX_UPLOAD_MB", raising=False)
    assert Settings.from_env(tmp_path).max_upload_bytes == 100 * 2**20  # the default
    monkeypatch.setenv("IONOQUAKE_MAX_UPLOAD_MB", "0.5")
    assert Settings.from_env(tmp_path).max_upload_bytes == 2**19
    for bad in ("abc", "0", "-1", "nan", "inf"):
        monkeypatch.setenv("IONOQUAKE_MAX_UPLOAD_MB", bad)
        with pytest.raises(IonoquakeError, match=f"IONOQUAKE_MAX_UPLOAD_MB must be a positive "
                                                 f"number of MiB, not '{bad}'"):
            Settings.from_env(tmp_path)


class _Recording(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)


def test_an_upload_is_copied_to_disk_in_chunks_and_stops_at_the_limit(tmp_path: Path) -> None:
    data = bytes(range(256)) * (3 * CHUNK_BYTES // 256 + 7)
    source = _Recording(data)
    path = asyncio.run(save_upload(UploadFile(source, filename="../a b.csv"), tmp_path,
                                   max_bytes=len(data)))
    assert path.read_bytes() == data and path.name == "a_b.csv" and path.parent.parent == tmp_path
    assert source.sizes and set(source.sizes) == {CHUNK_BYTES}  # never read whole
    source = _Recording(data)
    with pytest.raises(HTTPException) as refused:
        asyncio.run(save_upload(UploadFile(source, filename="a.csv"), tmp_path,
                                max_bytes=CHUNK_BYTES + 1))
    assert refused.value.status_code == 413 and len(source.sizes) == 2


def test_errors_of_refused_uploads_name_the_file_not_a_server_path(client: TestClient) -> None:
    r = client.post("/api/ingest", files={"files": ("../../my data.txt", b"no format\n")},
                    headers=AUTH)
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert detail.startswith("my_data.txt: not a file ionoquake can ingest (global ionosphere "
                             "maps: "), detail
    assert tempfile.gettempdir() not in detail and "upload-" not in detail


def test_a_gim_cdf_uploads_to_the_product_its_content_names(client: TestClient,
                                                            shared_data: Path) -> None:
    path = shared_data / CDF
    r = client.post("/api/ingest", files={"files": (path.name, path.read_bytes())},
                    headers=AUTH)
    assert r.status_code == 200, r.text
    (result,) = r.json()
    # tecUQR: UPC's UQRG maps, 96 of 15 minutes on 2023-03-03.
    assert result["kind"] == "maps" and result["status"] == "added"
    assert result["detail"] == "uqrg_cdaweb 2023-03-03: 96 maps"
    assert "uqrg_cdaweb" in [m["product"] for m in client.get("/api/maps").json()]


def test_an_ionex_upload_goes_to_the_centre_its_header_names(client: TestClient,
                                                             shared_data: Path) -> None:
    jpl = shared_data / "ionex/jpl_2012267-273/jplg2670.12i.gz"
    r = client.post("/api/ingest", files={"files": ("codg0080.20i.gz", jpl.read_bytes())},
                    headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()[0]["detail"].startswith("jplg 2012-09-23: ")  # was "codg 2012-09-23"
    assert [m["product"] for m in client.get("/api/maps").json()] == ["jplg"]
    assert maps.partitions(client.app.state.settings.store)["source_file"].tolist() == [  # type: ignore[attr-defined]
        "codg0080.20i.gz"]


@pytest.mark.parametrize(("file", "name", "product"), [
    # First COMMENT line "JPL'S GLOBAL IONOSPHERE MAPS ...": the name of another centre
    # is ignored, one of JPL's family (jprg, rapid) names the series.
    ("jpl_2012267-273/jplg2670.12i.gz", "codg0080.20i", "jplg"),
    ("jpl_2012267-273/jplg2670.12i.gz", "jprg2670.12i", "jprg"),
    ("jpl_2012267-273/jplg2670.12i.gz", "upload", "jplg"),
    # "CODE'S GLOBAL IONOSPHERE MAPS" (run by AIUB); long IGS names keep their series.
    ("code_esa_2020008-010/codg0080.20i.gz", "jplg0080.20i", "codg"),
    ("single_days/COD0OPSFIN_20240350000_01D_01H_GIM.INX.gz",
     "COD0OPSFIN_20240350000_01D_01H_GIM.INX.gz", "codg"),
    ("code_esa_2020008-010/esag0080.20i.gz", "codg0080.20i", "esag"),  # ESOC'S (DESCRIPTION)
    ("day_2014300_multi/ckmg3000.14i.gz", "codg3000.14i", "ckmg"),  # CODE'S KLOBUCHAR-STYLE
    ("day_2014300_multi/igsg3000.14i.gz", "jplg3000.14i", "igsg"),  # IGS COMBINED
    ("single_days/IGS0OPSFIN_20240350000_01D_02H_GIM.INX.gz", "x", "igsg"),
    ("single_days/jplg0310.12i.Z", "esag0310.12i.Z", "jplg"),  # compressed (.Z) header
    # "EDITOR / someone": the header names no centre, the name decides.
    ("edge_cases/orekit_jammed-fields.14i", "abcd0440.14i", "abcd"),
])
def test_the_product_of_an_ionex_file_comes_from_its_header(shared_data: Path, file: str,
                                                            name: str, product: str) -> None:
    assert product_of(shared_data / "ionex" / file, name) == product


def test_uploaded_events_are_served_at_once_not_from_the_cache(tmp_path: Path,
                                                               bundled_data: Path,
                                                               shared_data: Path) -> None:
    ingest_files(tmp_path, [shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv"])
    engine = database.connect(database.database_url(tmp_path))
    sync_database(tmp_path, engine)
    q4_2019 = {"start": "2019-10-01", "end": "2020-01-01", "min_magnitude": 5}
    with _client(tmp_path) as c:
        assert c.get("/api/events", params=q4_2019).json()["total"] == 0  # M7 file ends 2018
        again = c.get("/api/events", params=q4_2019)
        assert again.headers["x-cache"] == "hit"
        before = database.revision(engine)
        path = bundled_data / M5_2019
        r = c.post("/api/ingest", files={"files": (path.name, path.read_bytes())},
                   headers=AUTH)
        assert r.status_code == 200 and r.json()[0]["kind"] == "catalog", r.text
        assert database.revision(engine) > before  # the mirror wrote to the database
        after = c.get("/api/events", params=q4_2019)
        assert after.headers["x-cache"] == "miss"
        assert after.json()["total"] == 423
        assert c.get("/api/events/us70005p73").json()["magnitude"] == 6.0
