"""QuakeML 1.0/1.2 reader and writer on the four sample files in catalogs/quakeml."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ionoquake.sources import catalog, quakeml
from ionoquake.sources.catalog_table import CORE_COLUMNS, CatalogError

Q = "catalogs/quakeml"


def test_all_four_samples_read(shared_data: Path) -> None:
    counts = {}
    for path in sorted((shared_data / Q).glob("*.xml")):
        assert catalog.sniff(path) == "quakeml"
        df = catalog.read(path)
        assert tuple(df.columns[:8]) == CORE_COLUMNS
        assert df["time"].dtype == "datetime64[ns]"
        counts[path.name] = len(df)
    assert counts == {"iris_events.xml": 2, "neries_events.xml": 3,
                      "qml-example-1.2-RC3.xml": 1, "usgs_event.xml": 2}


def test_neries_quakeml_1_0(shared_data: Path) -> None:
    df = quakeml.read(shared_data / Q / "neries_events.xml").set_index("event_id")
    # neries_events.xml lines 4-63: event 20120404_0000041, time 2012-04-04T14:21:42.3+00:00,
    # 41.818 N 79.689 E, depth 1000 (m), mb 4.4 (the preferred magnitude), KYRGYZSTAN.
    row = df.loc["quakeml:eu.emsc/event/20120404_0000041"]
    assert row["time"] == pd.Timestamp("2012-04-04 14:21:42.3")
    assert (row["latitude"], row["longitude"], row["depth_km"]) == (41.818, 79.689, 1.0)
    assert (row["magnitude"], row["magnitude_type"], row["place"]) == (4.4, "mb", "KYRGYZSTAN")


def test_usgs_quakeml_uses_the_comcat_id(shared_data: Path) -> None:
    df = quakeml.read(shared_data / Q / "usgs_event.xml").set_index("event_id")
    # usgs_event.xml: catalog:eventsource="ci" catalog:eventid="37285320",
    # 2014-11-06T00:24:42.240Z, 35.0476667 -117.6623333, depth 10 (m), ml 1.54, quarry_blast.
    row = df.loc["ci37285320"]
    assert row["time"] == pd.Timestamp("2014-11-06 00:24:42.240")
    assert (row["latitude"], row["longitude"]) == (35.0476667, -117.6623333)
    assert row["depth_km"] == pytest.approx(0.010)
    assert (row["magnitude"], row["magnitude_type"], row["event_type"]) == (1.54, "ml",
                                                                           "quarry_blast")
    assert row["agency"] == "CI"


def test_iris_tohoku_with_kilometre_depths(shared_data: Path) -> None:
    # iris_events.xml lines 5-41: 2011-03-11T05:46:24.1200, 38.297 142.373, depth 29.0 --
    # the IRIS service of the time wrote km where QuakeML says metres.
    df = quakeml.read(shared_data / Q / "iris_events.xml", depth_unit="km")
    tohoku = df.set_index("event_id").loc["smi:www.iris.edu/ws/event/query?eventId=3279407"]
    assert tohoku["time"] == pd.Timestamp("2011-03-11 05:46:24.12")
    assert (tohoku["latitude"], tohoku["longitude"], tohoku["depth_km"]) == (38.297, 142.373,
                                                                             29.0)
    assert (tohoku["magnitude"], tohoku["magnitude_type"]) == (9.1, "MW")
    assert tohoku["place"] == "NEAR EAST COAST OF HONSHU, JAPAN"


def test_rc3_example(shared_data: Path) -> None:
    row = quakeml.read(shared_data / Q / "qml-example-1.2-RC3.xml").iloc[0]
    assert row["event_id"] == "smi:nz.org.geonet/event/2806038g"
    assert row["time"] == pd.Timestamp("2007-10-10 14:40:39.055")
    assert (row["latitude"], row["magnitude"], row["magnitude_type"]) == (-38.28462, 3.662, "ML")


def test_matches_obspy(shared_data: Path) -> None:
    obspy = pytest.importorskip("obspy")
    # ObsPy 1.5.1 returns only the first of the two events of usgs_event.xml (the
    # file has a <creationInfo> between them); the other three files are compared whole.
    for name in ("iris_events.xml", "neries_events.xml", "qml-example-1.2-RC3.xml"):
        path = shared_data / Q / name
        ours = quakeml.read(path).sort_values("event_id").reset_index(drop=True)
        theirs = quakeml.from_obspy(obspy.read_events(str(path)))
        theirs = theirs.sort_values("event_id").reset_index(drop=True)
        columns = ["time", "latitude", "longitude", "depth_km", "magnitude"]
        pd.testing.assert_frame_equal(ours[columns], theirs[columns])


def test_write_then_read_and_obspy_reads_it(tmp_path: Path, shared_data: Path) -> None:
    df = catalog.read(shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv")
    path = quakeml.write(df, tmp_path / "m7.xml")
    back = quakeml.read(path)
    pd.testing.assert_frame_equal(back[list(CORE_COLUMNS[:6])], df[list(CORE_COLUMNS[:6])])
    obspy = pytest.importorskip("obspy")
    assert len(obspy.read_events(str(path))) == 296


def test_broken_xml_names_the_line(tmp_path: Path, shared_data: Path) -> None:
    text = (shared_data / Q / "usgs_event.xml").read_text().splitlines()
    text[6] = text[6].replace("</value>", "</valu>")
    path = tmp_path / "broken.xml"
    path.write_text("\n".join(text))
    with pytest.raises(CatalogError, match=r"^broken\.xml line 7: not well-formed XML"):
        quakeml.read(path)


def test_a_bad_value_names_line_and_field(tmp_path: Path, shared_data: Path) -> None:
    text = (shared_data / Q / "usgs_event.xml").read_text()
    path = tmp_path / "bad.xml"
    path.write_text(text.replace("<value>35.0476667</value>", "<value>north</value>"))
    with pytest.raises(CatalogError) as error:
        quakeml.read(path)
    assert str(error.value) == "bad.xml line 13: field 'latitude': 'north' is not a number"


def test_not_quakeml(tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text('<?xml version="1.0"?>\n<FDSNStationXML>\n</FDSNStationXML>\n')
    with pytest.raises(CatalogError, match=r"^other\.xml line 2: root element is "
                                           r"<FDSNStationXML>, expected <quakeml>$"):
        quakeml.read(path)


def test_the_written_quakeml_keeps_place_type_status_agency_and_errors(
        tmp_path: Path, shared_data: Path) -> None:
    obspy = pytest.importorskip("obspy")
    df = catalog.read(shared_data / "catalogs/usgs_comcat_M7_2000-2018.csv")
    path = quakeml.write(df, tmp_path / "m7.xml")
    events = {str(e.resource_id).rsplit("/", 1)[-1]: e for e in obspy.read_events(str(path))}
    # ComCat us2000iyta (usgs_comcat_M7_2000-2018.csv): "96km ESE of Pondaguitan,
    # Philippines", earthquake, reviewed, locationSource us, magSource us,
    # horizontalError 6.1 km, depthError 3.2 km, magError 0.038, nst empty, gap 21°,
    # dmin 1.769°, rms 1.45 s, magNst 67.
    event = events["us2000iyta"]
    origin, magnitude = event.preferred_origin(), event.preferred_magnitude()
    assert event.event_descriptions[0].text == "96km ESE of Pondaguitan, Philippines"
    assert event.event_descriptions[0].type == "region name"
    assert event.event_type == "earthquake"
    assert (origin.evaluation_mode, origin.evaluation_status) == ("manual", "reviewed")
    assert origin.creation_info.agency_id == "us"
    assert magnitude.creation_info.agency_id == "us"
    assert origin.origin_uncertainty.horizontal_uncertainty == pytest.approx(6100.0)
    assert origin.depth == pytest.approx(60210.0)
    assert origin.depth_errors.uncertainty == pytest.approx(3200.0)
    assert magnitude.mag_errors.uncertainty == pytest.approx(0.038)
    assert magnitude.station_count == 67
    assert origin.quality.azimuthal_gap == 21.0 and origin.quality.standard_error == 1.45
    assert origin.quality.minimum_distance == pytest.approx(1.769)
    assert origin.quality.used_station_count is None  # nst empty in the file
    # every event: what the table has is what ObsPy reads
    for row in df.itertuples(index=False):
        event = events[row.event_id]
        assert event.event_descriptions[0].text == row.place
        assert event.event_type == row.event_type
        assert event.preferred_origin().creation_info.agency_id == row.location_source
        assert event.preferred_magnitude().creation_info.agency_id == row.magnitude_source
        assert event.preferred_origin().evaluation_status == {
            "reviewed": "reviewed", "automatic": "preliminary"}[row.status]
    back = quakeml.read(path)  # and ionoquake's own reader
    assert back["place"].tolist() == df["place"].tolist()
    assert back["event_type"].tolist() == df["event_type"].tolist()
    assert back["agency"].tolist() == df["location_source"].tolist()
    assert back["magnitude_agency"].tolist() == df["magnitude_source"].tolist()
