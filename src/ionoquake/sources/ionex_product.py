"""The product of an IONEX file: the analysis centre its header names, else its file name.

**Which product a map file goes to.** The file's content decides where its
format says it, the name only where it does not:

* IONEX: the analysis centre named by the first ``COMMENT``/``DESCRIPTION`` line
  ("JPL'S GLOBAL IONOSPHERE MAPS ...", "CODE'S KLOBUCHAR-STYLE ...", "... IGS COMBINED
  ...") or else by ``PGM / RUN BY / DATE`` ("AIUB", "JPL - GNISD", "ESA/ESOC",
  "GRL/UWM"), see :data:`CENTRES`. The content names the centre, not the series
  (final or rapid, short or long IGS name), so a file name of that centre's family
  (``corg`` for a CODE file, ``COD0OPSFIN_...`` giving ``cod0opsfin``) keeps the
  series it names; a name of another centre is ignored (a JPL file uploaded as
  ``codg0080.20i`` goes to ``jplg``). A header naming no known centre leaves the
  product to the name (:func:`ionoquake.sources.ionex.product_id`).
* Other map formats (the CDAWeb GIM CDF) name their product in their content (the
  centre of their ``tec<centre>`` variable): the reader's ``attrs["product"]`` is used.

Every ingest (the CLI, the API upload, the distributed ingest) asks :func:`product_of`,
so a file goes to the same product whichever way it comes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ionoquake.sources.compression import head
from ionoquake.sources.ionex_header import product_id, split_label

__all__ = ["CENTRES", "Centre", "product_of"]

#: The header bytes read to find the centre: PGM / RUN BY / DATE and the first COMMENT
#: or DESCRIPTION are lines 2 and 3 of every IONEX file in ../shared/data.
HEADER_BYTES = 8 * 2**10


@dataclass(frozen=True)
class Centre:
    """An analysis centre's IONEX files: how the header names it, the product its
    content gives, and the name prefixes of its series."""

    says: re.Pattern[str]
    product: str
    families: tuple[str, ...]


#: In the order asked; the first COMMENT/DESCRIPTION line is asked before PGM / RUN BY.
#: Patterns are case-sensitive: headers write the centres in capitals, and lower-case
#: mentions ("combined: cod esa jpl" in IGS files) are not claims of authorship.
CENTRES: tuple[Centre, ...] = (
    Centre(re.compile(r"KLOBUCHAR"), "ckmg", ("ckm",)),  # CODE's Klobuchar-style model
    Centre(re.compile(r"IGS COMBINED|GRL/UWM"), "igsg", ("igs", "igr")),
    Centre(re.compile(r"\bCODE'S\b|\bAIUB\b"), "codg", ("cod", "cor", "c1p", "c2p")),
    Centre(re.compile(r"\bJPL\b"), "jplg", ("jpl", "jpr")),
    Centre(re.compile(r"\bESOC\b|\bESA\b"), "esag", ("esa", "esr")),
    Centre(re.compile(r"\bUPC\b"), "upcg", ("upc", "uqr")),
    Centre(re.compile(r"\bEMR\b|\bNRCAN\b"), "emrg", ("emr",)),
    Centre(re.compile(r"\bWHU\b"), "whug", ("whu", "whr")),
    Centre(re.compile(r"\bCAS\b"), "casg", ("cas", "car")),
)


def product_of(path: Path, name: str | None = None) -> str:
    """The product of the IONEX file ``path`` known as ``name`` (default: its own name).

    See the module docstring for the rule.
    """
    by_name = product_id(name if name is not None else path.name)
    first_comment, run_by = "", ""
    for line in head(path, HEADER_BYTES).decode("latin-1").splitlines():
        content, label = split_label(line)
        if label == "END OF HEADER":
            break
        if label in ("COMMENT", "DESCRIPTION") and not first_comment:
            first_comment = content
        elif label == "PGM / RUN BY / DATE":
            run_by = content[20:40]
    for text in (first_comment, run_by):
        centre = next((c for c in CENTRES if c.says.search(text)), None)
        if centre is not None:
            return by_name if by_name.startswith(centre.families) else centre.product
    return by_name
