"""The evaluation job warns when the catalogue does not cover the learning period."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ionoquake.pipeline.evaluate import learning_gap
from ionoquake.sources import catalog

# USGS ComCat M >= 4.5, 2000-10-01 .. 2001-02-28 (data/README.md).
CATALOG = "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"


def test_the_default_learning_span_on_the_bundled_catalogue_is_flagged(bundled_data: Path
                                                                      ) -> None:
    # Issue N: `evaluate` learns over 3650 days by default; this catalogue holds ~67 days
    # before 2000-12-06, so the rates came out ~55x too low with no word said.
    cat = catalog.read(bundled_data / CATALOG)
    first = cat["time"].min()
    text = learning_gap(cat, "2000-12-06", 3650)
    covered = (pd.Timestamp("2000-12-06") - first) / pd.Timedelta(days=1)
    assert f"the catalogue starts {first:%Y-%m-%d}" in text
    assert f"too low by about {3650 / covered:.3g}x" in text
    assert f"--learning-days {int(covered)}" in text  # whole days the catalogue covers
    assert learning_gap(cat, "2000-12-06", 60) == ""  # what the demo uses: covered
    assert "learns from nothing" in learning_gap(cat.iloc[:0], "2000-12-06", 60)
