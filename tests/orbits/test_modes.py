"""Instrument-mode plans: burst zones, memory bookkeeping and trimming on hand cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.errors import InputError
from ionoquake.orbits import memory as memory_kernel
from ionoquake.orbits.memory import ALARM, BELT, SURVEY, Recorder, memory_plan
from ionoquake.orbits.modes import BurstZones, check_polygon, instrument_plan, seismic_belts

# burst 11 Mbit/s, survey 1 Mbit/s: a 10 s step records 110 Mbit in burst, 10 in survey.
REC = Recorder(burst_mbps=11.0, survey_mbps=1.0, memory_mbit=600.0)


def test_a_plan_that_overflows_trims_belt_burst_first_and_the_latest_first() -> None:
    # 4 belt steps, 4 alarm steps, 2 survey steps: 4·110 + 4·110 + 2·10 = 900 Mbit > 600.
    klass = [BELT] * 4 + [ALARM] * 4 + [SURVEY] * 2
    res = memory_plan(klass, 10.0, REC)
    # Alarm zones keep all (440), survey 20: the belts get 140 = 40 survey + 100 burst,
    # i.e. 10 s of burst, kept in the belt entered first.
    np.testing.assert_allclose(res.burst_fraction, [1, 0, 0, 0, 1, 1, 1, 1, 0, 0])
    np.testing.assert_allclose(res.recorded_mbit.sum(), 600.0)
    np.testing.assert_allclose(res.trimmed_mbit, [0, 100, 100, 100, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(res.memory_mbit[-1], 600.0)
    assert res.lost_mbit.sum() == 0


def test_a_contact_empties_memory_and_each_overflow_is_trimmed_in_its_own_stretch() -> None:
    # Contact over steps 3-4 at 20 Mbit/s (200 Mbit per step); memory 250 Mbit.
    klass = [ALARM] * 3 + [SURVEY] * 2 + [BELT] * 3
    rec = Recorder(burst_mbps=11.0, survey_mbps=1.0, memory_mbit=250.0)
    res = memory_plan(klass, 10.0, rec, contacts_s=[(30.0, 50.0, 20.0)])
    # Step 2 would reach 330: 80 Mbit of its alarm burst go (no belt before it);
    # the store empties in step 4; step 7 would reach 330 again: 80 of belt burst go.
    np.testing.assert_allclose(res.burst_fraction, [1, 1, 0.2, 0, 0, 1, 1, 0.2])
    np.testing.assert_allclose(res.memory_mbit, [110, 220, 250, 60, 0, 110, 220, 250])
    np.testing.assert_allclose(res.downlinked_mbit, [0, 0, 0, 200, 70, 0, 0, 0])
    np.testing.assert_allclose(res.recorded_mbit.sum(), 520.0)


def test_a_trim_before_a_downlink_saves_only_what_the_downlink_leaves() -> None:
    # Belt step, then a contact of 105 Mbit leaving 5 Mbit aboard, then an alarm step.
    klass = [BELT, SURVEY, ALARM]
    rec = Recorder(burst_mbps=11.0, survey_mbps=1.0, memory_mbit=100.0)
    res = memory_plan(klass, 10.0, rec, contacts_s=[(10.0, 20.0, 10.5)])
    # Step 0 trims 10 (frac 0.9); at step 2 (115 Mbit) belts go first but only 5 Mbit of
    # step 0 still sits in memory; the other 10 come from the alarm step.
    np.testing.assert_allclose(res.burst_fraction, [0.85, 0.0, 0.9])
    np.testing.assert_allclose(res.memory_mbit, [95, 0, 100])
    np.testing.assert_allclose(res.downlinked_mbit, [0, 105, 0])


def test_when_survey_alone_overflows_the_excess_is_counted_as_lost() -> None:
    rec = Recorder(burst_mbps=2.0, survey_mbps=1.0, memory_mbit=25.0)
    res = memory_plan([SURVEY] * 4, 10.0, rec)
    np.testing.assert_allclose(res.lost_mbit, [0, 0, 5, 10])
    np.testing.assert_allclose(res.memory_mbit, [10, 20, 25, 25])


@settings(max_examples=60, deadline=None)
@given(klass=st.lists(st.sampled_from([SURVEY, BELT, ALARM]), min_size=1, max_size=80),
       memory=st.floats(50.0, 2000.0), rate=st.floats(0.0, 40.0),
       contact=st.tuples(st.floats(0, 800), st.floats(0, 300)))
def test_memory_bookkeeping_balances_and_stays_within_bounds(
        klass: list[int], memory: float, rate: float, contact: tuple[float, float]) -> None:
    rec = Recorder(burst_mbps=11.0, survey_mbps=1.0, memory_mbit=memory)
    a, length = contact
    res = memory_plan(klass, 10.0, rec, contacts_s=[(a, a + length, rate)])
    assert (res.memory_mbit >= -1e-9).all()
    assert (res.memory_mbit <= memory + 1e-6).all()
    assert (res.downlinked_mbit >= -1e-9).all()
    np.testing.assert_allclose(res.recorded_mbit.sum() - res.downlinked_mbit.sum()
                               - res.lost_mbit.sum(), res.memory_mbit[-1], atol=1e-6)
    k = np.asarray(klass)
    assert (res.burst_fraction[k == SURVEY] == 0).all()
    assert ((res.burst_fraction >= -1e-12) & (res.burst_fraction <= 1)).all()
    py = getattr(memory_kernel._simulate, "py_func", None)
    if py is not None:  # the compiled kernel gives the same numbers as the Python one
        cap = memory_kernel.downlink_capacity(np.arange(k.size) * 10.0, 10.0,
                                              [(a, a + length, rate)])
        ref = py(k.astype(np.int8), 10.0, 100.0, cap, memory, 0.0)
        np.testing.assert_allclose(ref[0], res.burst_fraction, atol=1e-9)


def test_seismic_belts_are_busy_cells_dilated_across_the_antimeridian() -> None:
    cat = pd.DataFrame({"latitude": [2.0, 3.0, 4.0, 40.0], "longitude": [178.0, 179.0, 177.0, 0.0],
                        "magnitude": [5.0, 5.5, 6.0, 7.0]})
    belts = seismic_belts(cat, cell_deg=5.0, min_events=3)
    assert belts.cells.sum() == 9  # the busy cell 0..5°N, 175..180°E and its 8 neighbours
    lat = np.array([2.0, 7.0, 2.0, 12.0, 40.0])
    lon = np.array([178.0, -178.0, -174.0, 178.0, 0.0])
    assert belts.contains(lat, lon).tolist() == [True, True, False, False, False]


def test_a_self_intersecting_polygon_is_refused_in_one_line() -> None:
    bowtie = [(0, 0), (10, 10), (10, 0), (0, 10)]
    with pytest.raises(InputError, match=r"^polygon bowtie: Self-intersection\[5 5\]"):
        check_polygon(bowtie, "bowtie")
    with pytest.raises(InputError, match="polygon cap: it encircles a pole"):
        check_polygon([(-180 + 60 * k, 80) for k in range(6)], "cap")


def test_a_polygon_across_the_antimeridian_is_split_there() -> None:
    pieces = check_polygon([(170, -10), (-170, -10), (-170, 10), (170, 10)], "fiji")
    assert len(pieces) == 2
    assert sorted(round(p.area) for p in pieces) == [200, 200]
    zones = BurstZones.build(polygons=[("fiji", [(170, -10), (-170, -10), (-170, 10),
                                                 (170, 10)])])
    times = np.full(4, np.datetime64("2020-01-01", "ns"))
    got = zones.classify(times, np.array([0.0, 0.0, 0.0, 20.0]),
                         np.array([175.0, -175.0, 0.0, 175.0]))
    assert got.tolist() == [BELT, BELT, SURVEY, SURVEY]


def test_an_alarm_zone_is_burst_only_while_the_alarm_is_on() -> None:
    alarms = pd.DataFrame({"start": [pd.Timestamp("2020-01-02")],
                           "end": [pd.Timestamp("2020-01-03")], "lat": [0.0], "lon": [0.0],
                           "radius_km": [200.0]})
    zones = BurstZones.build(alarms=alarms)
    times = np.array(["2020-01-01T12", "2020-01-02T12", "2020-01-02T12"], dtype="datetime64[ns]")
    got = zones.classify(times, np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 3.0]))
    assert got.tolist() == [SURVEY, ALARM, SURVEY]  # 3° of longitude is 334 km


def test_a_day_plan_of_cses_and_swarm_adds_up(bundled_data: Path) -> None:
    from ionoquake.orbits.contacts import contacts
    from ionoquake.orbits.stations import read_stations
    from ionoquake.sources import catalog, tle

    tles = tle.read(bundled_data / "tle" / "celestrak_science_20191118.tle")
    tles = tles[tles["norad_id"].isin([43194, 39452])]
    cat = catalog.read(bundled_data / "catalogs" / "usgs_comcat_M5_2019-10-01_2019-12-31.csv")
    alarms = pd.DataFrame({"start": [pd.Timestamp("2019-11-17")],
                           "end": [pd.Timestamp("2019-11-20")], "lat": [35.0], "lon": [140.0],
                           "radius_km": [800.0]})
    zones = BurstZones.build(belts=seismic_belts(cat), alarms=alarms)
    found = contacts(tles, read_stations(), "2019-11-18", "2019-11-19", priority=[43194])
    rec = Recorder(burst_mbps=4.0, survey_mbps=1.0, memory_mbit=4000.0)
    plan = instrument_plan(tles, zones, "2019-11-18", "2019-11-19", contacts=found,
                           recorder=rec)
    seg = plan.segments
    for nid, group in seg.groupby("norad_id"):
        assert (group["end"] - group["start"]).dt.total_seconds().sum() == 86400
        orbit = plan.orbits[plan.orbits["norad_id"] == nid]
        np.testing.assert_allclose(group["volume_mbit"].sum(), orbit["volume_mbit"].sum())
        burst = group.loc[group["mode"] == "burst", "burst_s"].sum()
        np.testing.assert_allclose(group["volume_mbit"].sum(), 86400 * 1.0 + burst * 3.0)
    assert set(seg["zone"]) == {"survey", "belt", "alarm"}
    assert (plan.memory["memory_mbit"] <= 4000 + 1e-6).all()
    assert len(plan.downlinks) > 0
    assert plan.messages and "would overflow; trimmed" in plan.messages[0]
