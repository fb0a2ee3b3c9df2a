"""Geomagnetically quiet and disturbed times, as masks on any time axis.

An ionospheric anomaly means little if the ionosphere was storm-driven: the
usual screen in the seismo-ionospheric literature is Kp ≤ 3 and Dst ≥ -30 nT
(e.g. Liu et al. 2004, J. Geophys. Res. 109, A05S06, who discard days with
ΣKp > 30 or Dst < -30 nT; Pulinets & Boyarchuk 2004). Here the rules are a frozen
:class:`QuietRules`, evaluated on the hourly index table
(:mod:`ionoquake.sources.indices_table`) over a trailing window:

* Kp: the largest Kp of the hours ``[t - kp_window_hours + 1 h, t]`` ≤ ``kp_max``
  (Kp of the 3-h interval holding the hour, so the interval of ``t`` counts whole);
* Dst: the smallest hourly Dst over ``dst_window_hours`` ≥ ``dst_min_nT``;
* F10.7 (off by default): max - min of daily F10.7 over the last
  ``f107_window_days`` UT days ≤ ``f107_max_change_sfu``.

Three-valued logic, never silently quiet: a rule is *broken* if any known value
in its window breaks it, *kept* only if every value in the window is known and
keeps it, and otherwise *unknown*. An epoch is ``"disturbed"`` if any rule is
broken, ``"quiet"`` if all are kept, else ``"unknown"`` -- so epochs outside the
coverage of the indices, or in a gap, or (by default) on predicted index values,
are ``"unknown"``. :func:`quiet_mask` and :func:`disturbed_mask` are True only
for a known class: an unknown epoch is in neither.

A UT day (``per="day"``) is disturbed if any of its hours is, quiet if all 24
are, unknown otherwise. An epoch is matched to the hour that contains it
(floored), so hourly GIM epochs, 2-hourly odd-hour JPL epochs and 1-s satellite
samples all align; times are naive UTC (tz-aware times are converted to UTC).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from ionoquake.errors import IonoquakeError
from ionoquake.sources.indices_table import COLUMN_NAMES

QUIET, DISTURBED, UNKNOWN = "quiet", "disturbed", "unknown"
CLASSES = (QUIET, DISTURBED, UNKNOWN)
_CODE = np.array(CLASSES)  # 0 quiet, 1 disturbed, 2 unknown
Per = Literal["epoch", "day"]


@dataclass(frozen=True)
class QuietRules:
    """Thresholds of a quiet epoch; set a threshold to None to switch its rule off."""

    kp_max: float | None = 3.0
    kp_window_hours: int = 24
    dst_min_nT: float | None = -30.0
    dst_window_hours: int = 24
    f107_max_change_sfu: float | None = None
    f107_window_days: int = 2
    f107_column: str = "f107_obs_sfu"
    use_predicted: bool = False

    def __post_init__(self) -> None:
        for name in ("kp_window_hours", "dst_window_hours", "f107_window_days"):
            if int(getattr(self, name)) < 1:
                raise IonoquakeError(f"QuietRules.{name} must be at least 1")
        if self.kp_max is not None and not 0 <= self.kp_max <= 9:
            raise IonoquakeError(f"QuietRules.kp_max {self.kp_max} is not a Kp (0..9)")
        if not self.f107_column.startswith("f107") or self.f107_column not in COLUMN_NAMES:
            raise IonoquakeError(f"QuietRules.f107_column {self.f107_column!r} is not an F10.7 "
                                 "column of the index table")


def rules_for(indices: pd.DataFrame | None) -> QuietRules:
    """The default rules, less the Dst rule when ``indices`` hold no Dst value.

    Without a Dst value every window's Dst rule is unknown, which would leave no
    epoch quiet; an index table of CelesTrak's space-weather file alone (Kp, Ap,
    F10.7, no Dst) is screened on Kp only. With no table at all (None) the rules
    classify nothing and are only recorded; they are the Kp-only ones too.
    """
    no_dst = (indices is None or "dst_nT" not in indices.columns
              or bool(indices["dst_nT"].isna().all()))
    return QuietRules(dst_min_nT=None) if no_dst else QuietRules()


def rule_state(worst_known: npt.NDArray[np.float64], n_known: npt.NDArray[np.float64],
               window: int, broken: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """1.0 kept, 0.0 broken, NaN unknown: broken by any known value, kept only if all known.

    ``worst_known`` is the worst known value in each window (NaN if none),
    ``n_known`` how many values of the window are known, ``broken`` whether the
    worst known value breaks the rule.
    """
    state = np.full(len(worst_known), np.nan)
    state[(n_known >= window) & ~broken] = 1.0
    state[~np.isnan(worst_known) & broken] = 0.0
    return state


def combine_states(states: list[npt.NDArray[np.float64]], n: int) -> npt.NDArray[np.int8]:
    """Class codes (0 quiet, 1 disturbed, 2 unknown) from the rule states of each epoch."""
    if not states:
        return np.zeros(n, np.int8)
    s = np.vstack(states)
    code = np.full(n, 2, np.int8)
    code[(s == 1.0).all(axis=0)] = 0
    code[(s == 0.0).any(axis=0)] = 1
    return code


def _trailing(series: pd.Series, window: int, worst: str) -> tuple[np.ndarray, np.ndarray]:
    rolling = series.rolling(window, min_periods=1)
    extreme = rolling.max() if worst == "max" else rolling.min()
    return extreme.to_numpy(float), rolling.count().to_numpy(float)


def _hourly_grid(indices: pd.DataFrame, rules: QuietRules) -> pd.DataFrame:
    if not len(indices):
        raise IonoquakeError("no index values: cannot tell quiet from disturbed times")
    df = indices.set_index("time").sort_index()
    if not df.index.is_unique:
        raise IonoquakeError("index table has repeated hours; merge sources with combine()")
    if not rules.use_predicted:
        numbers = [c for c in df.columns if df[c].dtype == float]
        df.loc[df["predicted"].to_numpy(bool), numbers] = np.nan
    grid = pd.date_range(df.index[0].floor("D"), df.index[-1].floor("D") + pd.Timedelta("23h"),
                         freq="h")
    return df.reindex(grid)


def classify_hours(indices: pd.DataFrame, rules: QuietRules = QuietRules()) -> pd.Series:
    """The class of every UT hour the index table covers (a gap-free hourly series).

    Returns
    -------
    pandas.Series
        Categorical ``"quiet"``, ``"disturbed"``, ``"unknown"`` indexed by the
        start of each hour (naive UTC).
    """
    df = _hourly_grid(indices, rules)
    states = []
    if rules.kp_max is not None:
        worst, n = _trailing(df["kp"], rules.kp_window_hours, "max")
        states.append(rule_state(worst, n, rules.kp_window_hours, worst > rules.kp_max))
    if rules.dst_min_nT is not None:
        worst, n = _trailing(df["dst_nT"], rules.dst_window_hours, "min")
        states.append(rule_state(worst, n, rules.dst_window_hours, worst < rules.dst_min_nT))
    if rules.f107_max_change_sfu is not None:
        daily = df[rules.f107_column].iloc[::24]
        hi, n = _trailing(daily, rules.f107_window_days, "max")
        lo, _ = _trailing(daily, rules.f107_window_days, "min")
        state = rule_state(hi - lo, n, rules.f107_window_days,
                           (hi - lo) > rules.f107_max_change_sfu)
        states.append(np.repeat(state, 24))
    codes = combine_states(states, len(df))
    return _categorical(codes, df.index)


def classify_days(indices: pd.DataFrame, rules: QuietRules = QuietRules()) -> pd.Series:
    """The class of every UT day: disturbed if any hour is, quiet if all 24 are."""
    hours = classify_hours(indices, rules)
    codes = hours.cat.codes.to_numpy().reshape(-1, 24)
    day = np.full(len(codes), 2, np.int8)
    day[(codes == 0).all(axis=1)] = 0
    day[(codes == 1).any(axis=1)] = 1
    return _categorical(day, hours.index[::24])


def _categorical(codes: npt.NDArray[np.int8], index: pd.Index) -> pd.Series:
    return pd.Series(pd.Categorical(_CODE[codes], categories=CLASSES), index=index,
                     name="geomag")


def classify(times: Any, indices: pd.DataFrame, rules: QuietRules = QuietRules(), *,
             per: Per = "epoch") -> pd.Series | xr.DataArray:
    """``"quiet"``, ``"disturbed"`` or ``"unknown"`` for each of ``times``.

    Parameters
    ----------
    times
        Any time axis: a ``pandas.DatetimeIndex``, a Series or numpy array of
        datetimes, an ``xarray.DataArray`` of datetimes, or a Dataset/DataArray
        with a ``time`` coordinate (naive UTC).
    indices
        The hourly index table (from :func:`ionoquake.sources.indices.read`,
        :func:`~ionoquake.sources.indices.combine` or the archive).
    rules
        The thresholds.
    per
        ``"epoch"``: the class of the hour holding each time; ``"day"``: the
        class of its UT day.

    Returns
    -------
    pandas.Series or xarray.DataArray
        A DataArray along the input's dims for xarray input, else a Series (on
        the input Series' index, or indexed by the times). ``attrs`` hold the
        rules, the index coverage and the count of each class.
    """
    values, wrap = _time_axis(times)
    table = classify_days(indices, rules) if per == "day" else classify_hours(indices, rules)
    keys = values.floor("D" if per == "day" else "h")
    codes = pd.Series(table.cat.codes.to_numpy(), index=table.index).reindex(keys)
    labels = _CODE[codes.fillna(2).to_numpy(int)]
    attrs = {"rules": asdict(rules), "per": per,
             "coverage": [str(table.index[0]), str(table.index[-1] + pd.Timedelta(
                 "1D" if per == "day" else "1h"))],
             **{f"n_{c}": int((labels == c).sum()) for c in CLASSES}}
    return wrap(labels, attrs)


def quiet_mask(times: Any, indices: pd.DataFrame, rules: QuietRules = QuietRules(), *,
               per: Per = "epoch") -> pd.Series | xr.DataArray:
    """True where :func:`classify` says ``"quiet"``; unknown epochs are False."""
    return _is(classify(times, indices, rules, per=per), QUIET)


def disturbed_mask(times: Any, indices: pd.DataFrame, rules: QuietRules = QuietRules(), *,
                   per: Per = "epoch") -> pd.Series | xr.DataArray:
    """True where :func:`classify` says ``"disturbed"``; unknown epochs are False."""
    return _is(classify(times, indices, rules, per=per), DISTURBED)


def _is(classes: pd.Series | xr.DataArray, label: str) -> pd.Series | xr.DataArray:
    mask = classes == label
    mask.attrs.update(classes.attrs)
    mask.name = label
    return mask


def _time_axis(times: Any) -> tuple[pd.DatetimeIndex, Any]:
    """The times as naive-UTC DatetimeIndex, and a function wrapping results like the input."""
    if isinstance(times, xr.Dataset) or (isinstance(times, xr.DataArray)
                                         and not np.issubdtype(times.dtype, np.datetime64)):
        if "time" not in times.coords:
            raise IonoquakeError("the xarray object has no 'time' coordinate")
        times = times["time"]
    if isinstance(times, xr.DataArray):
        axis = times
        flat = _naive_utc(np.ravel(axis.values))

        def wrap_xr(labels: np.ndarray, attrs: dict[str, Any]) -> xr.DataArray:
            return xr.DataArray(labels.reshape(axis.shape), coords=axis.coords, dims=axis.dims,
                                name="geomag", attrs=attrs)

        return flat, wrap_xr
    index = times.index if isinstance(times, pd.Series) else None
    flat = _naive_utc(times)

    def wrap_pd(labels: np.ndarray, attrs: dict[str, Any]) -> pd.Series:
        out = pd.Series(pd.Categorical(labels, categories=CLASSES),
                        index=index if index is not None else flat, name="geomag")
        out.attrs.update(attrs)
        return out

    return flat, wrap_pd


def _naive_utc(values: Any) -> pd.DatetimeIndex:
    try:
        index = pd.DatetimeIndex(values)
    except (TypeError, ValueError) as exc:
        raise IonoquakeError(f"times are not datetimes ({exc})") from None
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index
