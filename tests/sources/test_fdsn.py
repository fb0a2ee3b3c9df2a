"""FDSN event fetching, paged by time, against a local stand-in for the service.

The stand-in answers fdsnws-event queries from the real ComCat export
``catalogs/usgs_comcat_M7_2000-2018.csv`` (296 events): it selects the rows in
``[starttime, endtime)`` above ``minmagnitude`` and answers in ComCat CSV
(``format=csv``), FDSN text (``format=text``) or 204 No Content when nothing
matches, as fdsnws-event 1.2 specifies.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.server
import itertools
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ionoquake.errors import FetchError
from ionoquake.sources import catalog, fdsn
from ionoquake.sources.catalog_table import CatalogError

M7 = "catalogs/usgs_comcat_M7_2000-2018.csv"
START, END = dt.datetime(2000, 1, 1), dt.datetime(2019, 1, 1)


class RecordedService:
    """An fdsnws-event stand-in on 127.0.0.1 serving rows of a real ComCat CSV."""

    def __init__(self, source: Path) -> None:
        lines = source.read_text().splitlines()
        self.header, self.rows = lines[0], lines[1:]
        self.times = pd.to_datetime([r.split(",")[0] for r in self.rows]).tz_localize(None)
        self.mags = [float(r.split(",")[4]) for r in self.rows]
        self.requests: list[str] = []
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                service.requests.append(self.path)

            def do_GET(self) -> None:
                status, body = service.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/fdsnws/event/1/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str) -> tuple[int, bytes]:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(path).query))
        start, end = pd.Timestamp(query["starttime"]), pd.Timestamp(query["endtime"])
        low = float(query.get("minmagnitude", "-9"))
        chosen = [(t, r) for t, m, r in zip(self.times, self.mags, self.rows, strict=True)
                  if start <= t < end and m >= low]
        chosen.sort()
        if not chosen:
            return 204, b""
        if query["format"] == "csv":
            return 200, ("\n".join([self.header] + [r for _, r in chosen]) + "\n").encode()
        text = ["#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|"
                "ContributorID|MagType|Magnitude|MagAuthor|EventLocationName"]
        names = self.header.split(",")
        for _, row in chosen:
            f = dict(zip(names, next(csv.reader([row])), strict=True))
            text.append(f"{f['id']}|{f['time'][:-1]}|{f['latitude']}|{f['longitude']}|"
                        f"{f['depth']}|us|us|us|{f['id']}|{f['magType']}|{f['mag']}|"
                        f"{f['magSource']}|{f['place']}")
        return 200, ("\n".join(text) + "\n").encode()


@pytest.fixture()
def service(shared_data: Path) -> Iterator[RecordedService]:
    recorded = RecordedService(shared_data / M7)
    yield recorded
    recorded.server.shutdown()
    recorded.server.server_close()


def test_windows_cover_the_range_without_gaps() -> None:
    windows = fdsn.time_windows(START, END, 365.0)
    assert windows[0][0] == START and windows[-1][1] == END
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    with pytest.raises(FetchError, match="is not after start"):
        fdsn.time_windows(END, START, 1.0)


def test_paged_fetch_returns_every_event(tmp_path: Path, service: RecordedService,
                                         shared_data: Path) -> None:
    paths = fdsn.fetch(START, END, tmp_path, url=service.url, min_magnitude=7.0,
                       request_days=365.0, now=dt.datetime(2025, 1, 1))
    assert len(paths) == len(service.requests) == len(fdsn.time_windows(START, END, 365.0)) == 20
    fetched = fdsn.read_windows(paths)
    direct = catalog.read(shared_data / M7)
    pd.testing.assert_frame_equal(fetched, direct)
    assert "minmagnitude=7.0" in service.requests[0] and "format=csv" in service.requests[0]


def test_a_second_run_uses_the_cache_and_resumes(tmp_path: Path,
                                                 service: RecordedService) -> None:
    first = fdsn.fetch(START, END, tmp_path, url=service.url, request_days=730.0,
                       now=dt.datetime(2025, 1, 1))
    n = len(service.requests)
    again = fdsn.fetch(START, END, tmp_path, url=service.url, request_days=730.0,
                       now=dt.datetime(2025, 1, 1))
    assert again == first and len(service.requests) == n  # nothing downloaded again
    first[3].unlink()  # as if the run had been killed before this window
    fdsn.fetch(START, END, tmp_path, url=service.url, request_days=730.0,
               now=dt.datetime(2025, 1, 1))
    assert len(service.requests) == n + 1


def test_a_full_window_is_split(tmp_path: Path, service: RecordedService,
                                shared_data: Path) -> None:
    # A cap of 20 events per request: 2011 (Tohoku year, 20 M7+ events) must be split.
    paths = fdsn.fetch(START, END, tmp_path, url=service.url, request_days=3650.0,
                       max_events=20, now=dt.datetime(2025, 1, 1))
    assert len(paths) > 15
    pd.testing.assert_frame_equal(fdsn.read_windows(paths), catalog.read(shared_data / M7))


def test_fdsn_text_format(tmp_path: Path, service: RecordedService) -> None:
    paths = fdsn.fetch(dt.datetime(2001, 1, 1), dt.datetime(2001, 2, 1), tmp_path,
                       url=service.url, format="text", now=dt.datetime(2025, 1, 1))
    assert paths[0].suffix == ".txt"
    df = fdsn.read_windows(paths, format="text")
    row = df.set_index("event_id").loc["usp000a7m5"]  # M7 file line 279
    assert row["time"] == pd.Timestamp("2001-01-13 17:33:32.380")
    assert (row["latitude"], row["longitude"], row["magnitude"]) == (13.049, -88.66, 7.7)
    assert row["place"] == "offshore El Salvador"


def test_windows_reaching_into_the_future_are_fetched_again(
        tmp_path: Path, service: RecordedService) -> None:
    now = dt.datetime(2018, 6, 1)
    fdsn.fetch(dt.datetime(2018, 1, 1), dt.datetime(2019, 1, 1), tmp_path, url=service.url,
               request_days=400.0, now=now)
    fdsn.fetch(dt.datetime(2018, 1, 1), dt.datetime(2019, 1, 1), tmp_path, url=service.url,
               request_days=400.0, now=now)
    assert len(service.requests) == 2


def test_server_errors_raise_fetch_error(tmp_path: Path, local_archive: object) -> None:
    url = f"{local_archive.url}/nothing/fdsnws/event/1/"  # type: ignore[attr-defined]
    with pytest.raises(FetchError, match="HTTP 404"):
        fdsn.fetch(START, START + dt.timedelta(days=1), tmp_path, url=url)


FDSN_HEADER = ("#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|"
               "ContributorID|MagType|Magnitude|MagAuthor|EventLocationName")
# The M7 file's line 279 (usp000a7m5) as the FDSN text service writes it.
FDSN_EL_SALVADOR = ("usp000a7m5|2001-01-13T17:33:32.380|13.049|-88.66|60.0|us|us|us|usp000a7m5|"
                    "mwc|7.7|us|offshore El Salvador")


def test_fdsn_text_cut_in_the_middle_of_its_last_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    path.write_text(f"{FDSN_HEADER}\n{FDSN_EL_SALVADOR}\n{FDSN_EL_SALVADOR[:-8]}")
    with pytest.raises(CatalogError, match=r"^events\.txt line 3: the last line has no line "
                                           r"end: the file was cut in the middle of a line"):
        catalog.read(path)
    path.write_text(f"{FDSN_HEADER}\n{FDSN_EL_SALVADOR}\n")
    assert catalog.read(path)["place"].tolist() == ["offshore El Salvador"]


def test_fdsn_text_line_with_too_few_fields_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    path.write_text(f"{FDSN_HEADER}\n{FDSN_EL_SALVADOR.rsplit('|', 3)[0]}\n{FDSN_EL_SALVADOR}\n")
    with pytest.raises(CatalogError, match=r"^events\.txt line 2: expected 13 fields, "
                                           r"found 10$"):
        catalog.read(path)
