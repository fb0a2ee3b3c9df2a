"""The as-of view: the archive as it was just before a forecast's issue time.

A forecast issued at time T may use only data stamped strictly before T (minus
the latency the data need to arrive). :class:`AsOfView` holds the input tables
(catalogue, alarms, indices, ...) and gridded datasets (TEC maps, ...) and is the
only way a forecast model reaches them: every access goes through
:meth:`AsOfView.table` or :meth:`AsOfView.dataset`, which cut at
``issue_time − latency`` and raise :class:`LookAheadError` when asked for
anything later. The view hands out copies, so nothing downstream can reach the
full inputs through it.

Which column is the "stamp" of a table is declared when the table is added
(``time`` for catalogues, ``issued`` for alarms); a dataset's stamp is its
``time`` coordinate (a TEC map at epoch t is stamped t).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.forecast.grid import ForecastError

__all__ = ["AsOfView", "LookAheadError", "frame_sha256"]

_T = TypeVar("_T")


class LookAheadError(ForecastError):
    """A forecast asked for data stamped at or after its issue time."""


@dataclass(frozen=True)
class _Table:
    frame: pd.DataFrame
    stamp: str
    latency: pd.Timedelta


@dataclass
class AsOfView:
    """Input tables and datasets seen as of ``issue_time`` (naive UTC).

    Examples
    --------
    >>> cat = pd.DataFrame({"time": pd.to_datetime(["2020-01-01", "2020-01-03"]), "m": [5, 6]})
    >>> view = AsOfView(pd.Timestamp("2020-01-02")).with_table("catalog", cat, stamp="time")
    >>> len(view.table("catalog"))
    1
    """

    issue_time: pd.Timestamp
    _tables: dict[str, _Table] = field(default_factory=dict, repr=False)
    _datasets: dict[str, tuple[xr.Dataset, pd.Timedelta]] = field(default_factory=dict,
                                                                  repr=False)

    def __post_init__(self) -> None:
        self.issue_time = pd.Timestamp(self.issue_time)
        if self.issue_time.tz is not None:
            raise ForecastError(f"issue time must be naive UTC, got {self.issue_time}")

    def with_table(self, name: str, frame: pd.DataFrame, *, stamp: str = "time",
                   latency: pd.Timedelta | str = "0s") -> AsOfView:
        """Register a table whose rows are stamped by column ``stamp``; returns ``self``."""
        if stamp not in frame.columns:
            raise ForecastError(f"table {name!r} has no stamp column {stamp!r}")
        times = frame[stamp]
        if not pd.api.types.is_datetime64_any_dtype(times) or times.isna().any():
            raise ForecastError(f"table {name!r}: stamp column {stamp!r} must be datetime64 "
                                f"without missing values")
        self._tables[name] = _Table(frame, stamp, pd.Timedelta(latency))
        return self

    def with_dataset(self, name: str, ds: xr.Dataset, *, latency: pd.Timedelta | str = "0s"
                     ) -> AsOfView:
        """Register a dataset with a ``time`` coordinate; returns ``self``."""
        if "time" not in ds.coords:
            raise ForecastError(f"dataset {name!r} has no time coordinate")
        self._datasets[name] = (ds, pd.Timedelta(latency))
        return self

    def at(self, issue_time: pd.Timestamp | str) -> AsOfView:
        """The same inputs seen as of another issue time."""
        return AsOfView(pd.Timestamp(issue_time), dict(self._tables), dict(self._datasets))

    def has(self, name: str) -> bool:
        """Whether an input called ``name`` is registered."""
        return name in self._tables or name in self._datasets

    def table(self, name: str, *, since: pd.Timestamp | str | None = None,
              until: pd.Timestamp | str | None = None) -> pd.DataFrame:
        """Rows of table ``name`` stamped in ``[since, until)``, ``until`` ≤ the visible limit.

        Raises
        ------
        LookAheadError
            If ``until`` is later than ``issue_time − latency``.
        """
        tab = self._get(name, self._tables)
        limit = self._limit(name, tab.latency, until)
        t = tab.frame[tab.stamp]
        keep = t < limit
        if since is not None:
            keep &= t >= pd.Timestamp(since)
        out = tab.frame.loc[keep].copy()
        out.attrs["as_of"] = limit.isoformat()
        return out

    def dataset(self, name: str, *, since: pd.Timestamp | str | None = None,
                until: pd.Timestamp | str | None = None) -> xr.Dataset:
        """Epochs of dataset ``name`` in ``[since, until)``; same rules as :meth:`table`."""
        ds, latency = self._get(name, self._datasets)
        limit = self._limit(name, latency, until)
        t = ds["time"].to_numpy()
        keep = t < np.datetime64(limit)
        if since is not None:
            keep &= t >= np.datetime64(pd.Timestamp(since))
        out = ds.isel(time=np.flatnonzero(keep)).copy(deep=True)
        out.attrs["as_of"] = limit.isoformat()
        return out

    def _get(self, name: str, registry: dict[str, _T]) -> _T:
        if name not in registry:
            raise ForecastError(f"no input {name!r} in the as-of view; it has "
                                f"{sorted(self._tables) + sorted(self._datasets)}")
        return registry[name]

    def _limit(self, name: str, latency: pd.Timedelta,
               until: pd.Timestamp | str | None) -> pd.Timestamp:
        visible = self.issue_time - latency
        if until is None:
            return visible
        until = pd.Timestamp(until)
        if until > visible:
            raise LookAheadError(
                f"{name}: asked for data until {until}, but a forecast issued at "
                f"{self.issue_time} sees only data stamped before {visible}")
        return until

    def fingerprint(self) -> str:
        """SHA-256 of everything visible as of the issue time (for provenance)."""
        digest = hashlib.sha256(self.issue_time.isoformat().encode())
        for name in sorted(self._tables):
            digest.update(name.encode())
            digest.update(frame_sha256(self.table(name)).encode())
        for name in sorted(self._datasets):
            ds = self.dataset(name)
            digest.update(name.encode())
            for var in sorted(map(str, ds.variables)):
                digest.update(var.encode())
                digest.update(np.ascontiguousarray(ds[var].to_numpy()).tobytes())
        return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a table's columns, dtypes and values (index ignored)."""
    digest = hashlib.sha256(",".join(f"{c}:{t}" for c, t in frame.dtypes.items()).encode())
    hashed = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False)
    digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()
