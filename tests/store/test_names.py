"""Product and table names are plain identifiers: no name reaches outside the store."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.errors import StoreError
from ionoquake.store import ingest, maps, tables
from ionoquake.store.location import check_name

BAD_NAMES = ["..", "../../x", "a/b", "/abs", "", ".hidden", "x" * 65, "tëc", "naïve", "-rf",
             "a b", "a\\b", "a\x00b"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_name_is_refused_naming_it(name: str) -> None:
    with pytest.raises(StoreError, match=f"^invalid product {re.escape(repr(name))}: use 1 to 64 ASCII"):
        check_name("product", name)


@pytest.mark.parametrize("name", ["codg", "cod0opsfin", "jplg", "events", "x" * 64, "a_b-1"])
def test_plain_identifiers_are_accepted(name: str) -> None:
    assert check_name("product", name) == name


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", "", "x" * 65, "tëc"])
def test_every_path_building_function_refuses_a_bad_name(name: str, shared_data: Path,
                                                         tmp_path: Path) -> None:
    store = tmp_path / "store"
    day = np.datetime64("2020-01-08")
    ionex_file = shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz"
    df = pd.DataFrame({"time": [1]})
    calls = [
        lambda: maps.partition_path(store, name, day),
        lambda: maps.ingest_file(store, ionex_file, product=name),
        lambda: maps.open_maps(store, name),
        lambda: maps.open_day(store, name, day),
        lambda: maps.stored_days(store, name),
        lambda: maps.partitions(store, name),
        lambda: tables.table_path(store, name, "events"),
        lambda: tables.table_path(store, "catalog", name),
        lambda: tables.write_table(store, "catalog", name, df, key="time", sources=[]),
        lambda: tables.read_table(store, name, "events"),
        lambda: ingest.ingest_path(store, ionex_file, product=name),
        lambda: ingest.ingest_path(store, ionex_file, catalog_name=name),
        lambda: ingest.ingest_paths(store, [ionex_file], product=name, keep_going=True),
    ]
    for call in calls:
        with pytest.raises(StoreError, match=r"^invalid (product|table kind|table name) "):
            call()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # nothing written anywhere


def test_a_map_file_whose_name_gives_no_plain_product_needs_one(shared_data: Path,
                                                              tmp_path: Path) -> None:
    odd = tmp_path / "é.i"
    odd.write_bytes(
        (shared_data / "ionex/edge_cases/orekit_jammed-fields.14i").read_bytes())
    with pytest.raises(StoreError, match=r"é.i: the product taken from the file, invalid "
                                         r"product 'é.i': .*; name one \(--product\)$"):
        maps.ingest_file(tmp_path / "store", odd)
    assert maps.ingest_file(tmp_path / "store", odd, product="orekit").product == "orekit"
