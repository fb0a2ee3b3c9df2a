"""The map archive as the API reads it: days of maps and their ΔTEC, kept in memory.

Each process keeps the days of maps it opened and the ΔTEC of the days it computed
(least recently used out first, up to :data:`DATASET_CACHE_BYTES`), keyed by the
product's folder generation so that a new or replaced day is seen at once. A value
asked for by several requests at once is computed by one of them while the others
wait (single flight).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.background import BackgroundConfig, preceding_days
from ionoquake.errors import IonoquakeError, StoreError
from ionoquake.service.cache import folder_generation
from ionoquake.service.params import MAX_SPAN_DAYS
from ionoquake.sources.gim import combine_days
from ionoquake.store import maps

__all__ = ["DATASET_CACHE_BYTES", "MapData"]

#: Maps and ΔTEC datasets an API process keeps in memory (bytes).
DATASET_CACHE_BYTES = 512 * 2**20

Key = tuple[str, str, str, Any]


class MapData:
    """The maps of the archive at ``store``, opened and kept per day (thread-safe)."""

    def __init__(self, store: Path, max_bytes: int = DATASET_CACHE_BYTES) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self._cache: OrderedDict[Key, tuple[Any, int]] = OrderedDict()
        self._computing: dict[Key, threading.Lock] = {}
        self._guard = threading.Lock()

    def once(self, key: Key, compute: Callable[[], Any]) -> Any:
        """``cache[key]``, computed by one request while the others asking for it wait."""
        with self._guard:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key][0]
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                found = self._cache.get(key)
            if found is None:
                value = compute()
                found = (value, int(getattr(value, "nbytes", 0)))
                with self._guard:
                    self._cache[key] = found
                    while (sum(n for _, n in self._cache.values()) > self.max_bytes
                           and len(self._cache) > 1):
                        self._cache.popitem(last=False)
        with self._guard:
            self._computing.pop(key, None)
        return found[0]

    def products(self) -> list[str]:
        """The stored products."""
        return maps.products(self.store)

    def generation(self, product: str) -> Any:
        """Changes whenever a day of ``product`` is added or replaced."""
        return folder_generation(self.store / "maps" / product, 1)

    def stored_days(self, product: str) -> list[np.datetime64]:
        """The stored days of ``product``, in order."""
        days: list[np.datetime64] = self.once(
            (product, "days", "", self.generation(product)),
            partial(maps.stored_days, self.store, product))
        return days

    def first_stored(self, product: str, day: str) -> str:
        """``day`` (YYYY-MM-DD), or the first stored day of ``product`` if that is later."""
        return max(day, str(self.stored_days(product)[0]))

    def open(self, product: str, start: str, end: str) -> xr.Dataset:
        """The maps of ``product`` for the days start..end (each day opened once and kept)."""
        gen = self.generation(product)
        lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
        days = [d for d in self.stored_days(product) if lo <= d <= hi]
        if not days:
            raise StoreError(f"{self.store}: no {product} maps between {start} and {end}")

        def combine() -> Any:
            return combine_days([self.once((product, "day", str(d), gen),
                                           partial(maps.open_day, self.store, product, d))
                                 for d in days])

        ds: xr.Dataset = self.once((product, start, end, gen), combine)
        return ds

    def dtec(self, product: str, day: str) -> xr.Dataset:
        """ΔTEC (TECU) of ``day`` against the default running median (Liu et al. 2004)."""
        config = BackgroundConfig()

        def compute() -> Any:
            first = self.first_stored(
                product, str(np.datetime64(day) - preceding_days(config.window_days)))
            anomalies = detect_anomalies(self.open(product, first, day), config)
            return anomalies.sel(time=slice(day, None))[["dtec"]]

        ds: xr.Dataset = self.once((product, "dtec", day, self.generation(product)), compute)
        return ds

    def latest_span(self, product: str, max_days: int) -> tuple[str, str]:
        """The stored days of ``product`` (YYYY-MM-DD, first and last), at most the last
        ``max_days`` + 1 of them: what ``/api/maps/{product}/times`` lists by default."""
        days = self.stored_days(product)
        first = max(days[0], days[-1] - np.timedelta64(max_days, "D"))
        return str(first), str(days[-1])

    def warm(self) -> None:
        """Open the last stored day of every product and compute its ΔTEC (what the map page
        asks first), so that the first request finds them ready. Errors are left to the
        requests that meet them."""
        for product in self.products():
            try:
                day = str(self.stored_days(product)[-1])
                self.open(product, *self.latest_span(product, MAX_SPAN_DAYS))  # the epochs
                self.open(product, str(np.datetime64(day) - 1), day)
                self.dtec(product, day)
            except (IonoquakeError, OSError, ValueError, KeyError):
                continue
