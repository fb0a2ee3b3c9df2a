"""The compiled CRINEX decoder equals the reference path (hatanaka crx2rnx + RINEX text).

The reference is :func:`ionoquake.sources.rinex_obs.read` with ``IONOQUAKE_KERNEL=numpy``
(itself tested equal to georinex in ``test_rinex_obs.py``). Equality is checked with
``xarray.testing.assert_identical`` (values, NaN, dtypes, coordinates) and on ``attrs``,
on every CRINEX file of ../shared/data/rinex, on generated RINEX 2/3 files compressed
with ``hatanaka.rnx2crx``, and on damaged files: wherever the kernel returns a result
the reference must give the same, and wherever the reference fails the kernel must
decline (then :func:`rinex_obs.read` raises the reference's one-line error).
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionoquake.errors import IonoquakeError
from ionoquake.sources import crinex_kernel, rinex_obs
from ionoquake.sources.compression import read_bytes
from ionoquake.sources.rinex_text import RinexError

pytestmark = pytest.mark.skipif(crinex_kernel.numba is None, reason="numba is not installed")

CRINEX = ["georust/CRNX_V1_delf0010.21d",
          "georust/CRNX_V3_ACOR00ESP_R_20213550000_01D_30S_MO.crx",
          "pygnss_tec_2024-01-10/BELE00BRA_R_20240100000_01D_30S_MO.crx.gz"]


@contextmanager
def reference_path() -> Iterator[None]:
    """``IONOQUAKE_KERNEL=numpy`` for the block (hypothesis tests cannot use monkeypatch)."""
    before = os.environ.get(crinex_kernel.ENV)
    os.environ[crinex_kernel.ENV] = "numpy"
    try:
        yield
    finally:
        if before is None:
            del os.environ[crinex_kernel.ENV]
        else:
            os.environ[crinex_kernel.ENV] = before


def reference(path: Path, indicators: bool = False) -> xr.Dataset:
    with reference_path():
        assert not crinex_kernel.available()
        return rinex_obs.read(path, indicators=indicators)


def assert_same(fast: xr.Dataset, ref: xr.Dataset) -> None:
    xr.testing.assert_identical(fast, ref)
    assert list(fast.data_vars) == list(ref.data_vars)
    assert fast.attrs == ref.attrs


@pytest.mark.parametrize("name", CRINEX)
@pytest.mark.parametrize("indicators", [False, True])
def test_real_crinex_files_equal_the_reference(name: str, indicators: bool,
                                               shared_data: Path) -> None:
    path = shared_data / "rinex" / name
    assert crinex_kernel.available()
    body = crinex_kernel.decode(read_bytes(path))
    assert body is not None, "the kernel declined a well-formed real file"
    assert_same(rinex_obs.read(path, indicators=indicators), reference(path, indicators))


def test_values_copied_from_the_files(shared_data: Path) -> None:
    """DELF (CRINEX 1), first epoch, G07: ``3&126298057858 3&98414080647 ...`` and the
    flags `` 643`` after the 7 fields are, in the plain file OBS_V2_delf0010.21o line 31,
    ``126298057.858 6  98414080.64743``: L1 SSI 6, L2 LLI 4 and SSI 3. ACOR (CRINEX 3)
    G01 C1C ``3&24600158420`` is 24600158.420 m."""
    delf = rinex_obs.read(shared_data / "rinex" / CRINEX[0], indicators=True)
    g07 = delf.sel(sv="G07").isel(time=0)
    assert (g07.L1.item(), g07.L2.item()) == (126298057.858, 98414080.647)
    assert np.isnan(g07.L1lli.item()) and g07.L1ssi.item() == 6
    assert (g07.L2lli.item(), g07.L2ssi.item()) == (4, 3)
    acor = rinex_obs.read(shared_data / "rinex" / CRINEX[1])
    assert acor.sel(sv="G01").isel(time=0).C1C.item() == 24600158.420


def test_the_numpy_switch_uses_the_reference_path(shared_data: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crinex_kernel.ENV, "numpy")
    assert not crinex_kernel.available()
    calls: list[bytes] = []
    monkeypatch.setattr(crinex_kernel, "decode", lambda raw: calls.append(raw))
    rinex_obs.read(shared_data / "rinex" / CRINEX[0])
    assert calls == []


@pytest.mark.parametrize("clock", [123456789012, -123456789012, 12_345_678_901_234, -2_000,
                                   -300_000_000, 300_000_000, -100_000_000_000, 0, -1])
def test_clock_text_as_crx2rnx_prints_it(clock: int) -> None:
    """The receiver clock offset (ps) written as crx2rnx ``print_clock`` writes it (F15.12),
    compared with the real crx2rnx after rnx2crx, including its quirk for a negative
    offset whose lower 8 digits are 0: -0.0003 s comes back as ``-.000200000000``."""
    import hatanaka

    text = "\n".join([
        "     3.04           OBSERVATION DATA    M                   RINEX VERSION / TYPE",
        "G    2 C1C L1C                                              SYS / # / OBS TYPES",
        " " * 60 + "END OF HEADER",
        f"> 2024 01 10 00 00  0.0000000  0  1      {clock / 1e12:15.12f}",
        f"G01{20000000.0:14.3f} 1{100000000.0:14.3f} 2", ""])
    back = hatanaka.crx2rnx(hatanaka.rnx2crx(text.encode())).decode().splitlines()
    epoch = next(x for x in back if x.startswith(">"))
    assert epoch[41:56] == crinex_kernel._clock_text(clock, 4)
    if clock == -300_000_000:
        assert epoch[41:56] == " -.000200000000"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(-99_999 * 10**8, 999_999 * 10**8 - 1),
                          st.integers(-99_999, 999_999).map(lambda u: u * 10**8)),
                min_size=1, max_size=20))
def test_clock_offsets_read_as_the_text_reader_reads_crx2rnx_text(clocks: list[int]) -> None:
    """The vectorised offsets equal ``float`` of the emulated crx2rnx text, quirk included."""
    got = crinex_kernel.clock_offsets(np.array(clocks, dtype=np.int64))
    want = [float(crinex_kernel._clock_text(k, 4)) for k in clocks]
    assert got == want
    assert [np.signbit(v) for v in got] == [np.signbit(v) for v in want]


# -- generated files ------------------------------------------------------------------------

_V3_CODES = {"G": ["C1C", "L1C", "S1C", "C2W", "L2W", "D1C"], "R": ["C1C", "L1C", "C2P", "L2P"],
             "E": ["C1X", "L1X", "C5X", "L5X", "S5X"]}
_V2_CODES = ["L1", "L2", "C1", "P2", "P1", "S1", "S2"]
_SATS_V3 = ["G01", "G07", "G32", "R03", "R24", "E11", "E05"]
_SATS_V2 = ["G01", "G 7", "G32", "R03", "R24", "E11", "S20", "G12", "G14", "G15", "G16",
            "G17", "G18", "G19", "  4"]

_value = st.one_of(st.none(), st.integers(-999_999_999_999, 9_999_999_999_999),
                   st.integers(-5_000, 5_000), st.integers(20_000_000_000, 20_000_100_000))
_field = st.tuples(_value, st.one_of(st.none(), st.integers(0, 7)),
                   st.one_of(st.none(), st.integers(1, 9)))


def _text(field: tuple[int | None, int | None, int | None]) -> str:
    k, lli, ssi = field
    value = " " * 14 if k is None else f"{k / 1000:14.3f}"
    return value + (" " if lli is None else str(lli)) + (" " if ssi is None else str(ssi))


_epoch = st.tuples(st.lists(st.tuples(st.sampled_from(_SATS_V3),
                                      st.lists(_field, min_size=6, max_size=6)),
                            min_size=0, max_size=7, unique_by=lambda s: s[0]),
                   st.sampled_from([0, 0, 0, 1]),
                   st.one_of(st.none(), st.integers(-99_999_999_999_999, 99_999_999_999_999)))


def _v3_file(epochs: list[Any]) -> str:
    out = ["     3.04           OBSERVATION DATA    M                   RINEX VERSION / TYPE",
           "TEST                                                        MARKER NAME"]
    for system, codes in _V3_CODES.items():
        out.append(f"{system}  {len(codes):3d} " + " ".join(codes).ljust(53)
                   + "SYS / # / OBS TYPES")
    out.append("  2024    01    10    00    00    0.0000000     GPS         TIME OF FIRST OBS")
    out.append(" " * 60 + "END OF HEADER")
    for k, (sats, flag, clock) in enumerate(epochs):
        clock_text = "" if clock is None else f"      {clock / 1e12:15.12f}"
        out.append(f"> 2024 01 10 {k // 120:02d} {k // 2 % 60:02d} {30 * (k % 2):10.7f}  "
                   f"{flag}{len(sats):3d}{clock_text}")
        for sv, values in sats:
            out.append((sv + "".join(_text(v) for v in values[:len(_V3_CODES[sv[0]])])).rstrip())
    return "\n".join(out) + "\n"


def _v2_file(epochs: list[Any]) -> str:
    out = ["     2.11           OBSERVATION DATA    M (MIXED)           RINEX VERSION / TYPE",
           f"{len(_V2_CODES):6d}" + "".join(f"{c:>6s}" for c in _V2_CODES).ljust(54)
           + "# / TYPES OF OBSERV",
           "  2024     1    10     0     0    0.0000000     GPS         TIME OF FIRST OBS",
           " " * 60 + "END OF HEADER"]
    for k, (sats, flag, _clock) in enumerate(epochs):
        names = "".join(sv for sv, _ in sats)
        out.append(f" 24  1 10 {k // 120:2d} {k // 2 % 60:2d} {30 * (k % 2):10.7f}  {flag}"
                   f"{len(sats):3d}{names[:36]}")
        for start in range(36, len(names), 36):
            out.append(" " * 32 + names[start:start + 36])
        for _, values in sats:
            fields = [_text(v) for v in values]
            out.append("".join(fields[:5]).rstrip())
            out.append("".join(fields[5:]).rstrip())
    return "\n".join(out) + "\n"


_v2_epoch = st.tuples(st.lists(st.tuples(st.sampled_from(_SATS_V2),
                                         st.lists(_field, min_size=7, max_size=7)),
                               min_size=0, max_size=15, unique_by=lambda s: s[0]),
                      st.sampled_from([0, 0, 0, 1]), st.none())


def _compare_generated(text: str, suffix: str, *, clean: bool = True) -> None:
    import hatanaka

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"random.{suffix}"
        try:
            path.write_bytes(hatanaka.rnx2crx(text.encode()))
        except (hatanaka.HatanakaException, ValueError):
            return  # rnx2crx refuses it (a value out of its range): nothing to compare
        raw = read_bytes(path)
        if clean:
            assert crinex_kernel.decode(raw) is not None, "the kernel declined a clean file"
        for indicators in (False, True):
            assert_same(rinex_obs.read(path, indicators=indicators),
                        reference(path, indicators))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_epoch, min_size=1, max_size=8))
def test_generated_crinex3_files_equal_the_reference(epochs: list[Any]) -> None:
    # an epoch without satellites but with a clock offset: crx2rnx writes the offset
    # before column 42 (where the text reader looks for it); the kernel declines that
    clean = all(sats or clock is None for sats, _, clock in epochs)
    _compare_generated(_v3_file(epochs), "crx", clean=clean)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_v2_epoch, min_size=1, max_size=8))
def test_generated_crinex1_files_equal_the_reference(epochs: list[Any]) -> None:
    _compare_generated(_v2_file(epochs), "24d")


# -- damaged files --------------------------------------------------------------------------

def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One damage in the body: a changed, deleted, duplicated or cut line, or changed bytes."""
    lines = data.split(b"\n")
    body = next(i for i, x in enumerate(lines) if b"END OF HEADER" in x) + 1
    i = rng.randrange(body, len(lines))
    what = rng.randrange(6)
    if what == 0:
        del lines[i]
    elif what == 1:
        lines.insert(i, lines[i])
    elif what == 2:
        return b"\n".join(lines[:i]) + b"\n"
    elif what == 3 and lines[i]:
        j = rng.randrange(len(lines[i]))
        lines[i] = lines[i][:j] + bytes([rng.choice(b" &-0123456789>GRE\x00\xff.")]) + lines[i][j + 1:]
    elif what == 4 and lines[i]:
        j = rng.randrange(len(lines[i]))
        lines[i] = lines[i][:j] + lines[i][j + 1:]
    else:
        lines[i] = lines[i] + b" 7"
    return b"\n".join(lines)


@pytest.mark.parametrize("name", CRINEX[:2])
def test_damaged_files_read_as_the_reference_or_decline(name: str, shared_data: Path,
                                                        tmp_path: Path) -> None:
    source = (shared_data / "rinex" / name).read_bytes()
    rng = random.Random(20261201)
    outcomes = {"declined": 0, "equal": 0}
    for k in range(120):
        path = tmp_path / f"m{k}{Path(name).suffix}"
        path.write_bytes(_mutate(source, rng))
        fast = rinex_obs._read_crinex_fast(read_bytes(path), path, False)
        try:
            ref: xr.Dataset | None = reference(path)
        except IonoquakeError:
            ref = None
        if fast is None:
            outcomes["declined"] += 1
            continue
        assert ref is not None, f"mutant {k}: the kernel read a file the reference refuses"
        assert_same(fast, ref)
        outcomes["equal"] += 1
    assert outcomes["declined"] > 10 and outcomes["equal"] > 10, outcomes


def test_truncated_crinex_names_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "rinex" / CRINEX[1]).read_bytes().split(b"\n")
    path = tmp_path / "cut.crx"
    path.write_bytes(b"\n".join(lines[:60]))
    assert crinex_kernel.decode(read_bytes(path)) is None
    with pytest.raises(RinexError, match=r"cut.crx line 60: cannot decompress Hatanaka CRINEX "
                                         r"data: The file seems to be truncated"):
        rinex_obs.read(path)


def test_broken_difference_line_names_file_and_line(shared_data: Path, tmp_path: Path) -> None:
    lines = (shared_data / "rinex" / CRINEX[1]).read_bytes().split(b"\n")
    body = next(i for i, x in enumerate(lines) if b"END OF HEADER" in x) + 1
    lines[body + 2] = lines[body + 2].replace(b"3&", b"", 1)  # G01 C1C without its arc start
    path = tmp_path / "arc.crx"
    path.write_bytes(b"\n".join(lines))
    assert crinex_kernel.decode(read_bytes(path)) is None
    with pytest.raises(RinexError, match=rf"arc.crx line {body + 3}: .*New satellite, but data "
                                         "arc is not initialized"):
        rinex_obs.read(path)


def test_kernel_declines_what_it_does_not_vouch_for(shared_data: Path) -> None:
    raw = read_bytes(shared_data / "rinex" / CRINEX[0])
    assert crinex_kernel.decode(raw.replace(b"\n", b"\r\n")) is None  # CR/LF: reference path
    assert crinex_kernel.decode(raw[:50]) is None
    assert crinex_kernel.decode(raw.replace(b"COMPACT RINEX", b"COMPACT RINEY")) is None
    flags = np.array([ord(c) for c in " 7x9"], dtype=np.uint8)
    assert np.array_equal(rinex_obs._digits(flags), [np.nan, 7, np.nan, 9], equal_nan=True)
