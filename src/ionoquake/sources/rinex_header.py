"""The header of a RINEX 2/3/4 file: version, type, labelled records, observation types.

RINEX header records are 80 columns, content in 1-60 and the label in 61-80
(RINEX 2.11 §5, RINEX 3.05 Table A2, IGS/RTCM). :func:`parse_header` keeps every
record (repeated labels are joined with a blank, as georinex does) and decodes the
ones the readers need: the observation types (``# / TYPES OF OBSERV`` in RINEX 2,
``SYS / # / OBS TYPES`` in RINEX 3) and the GLONASS frequency channels
(``GLONASS SLOT / FRQ #``, RINEX 3.02+).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from ionoquake.sources.rinex_text import fail

#: RINEX 2.11 observation codes (§5.1): type C/P/L/D/S/T and a band number.
OBS_CODE_V2 = re.compile(r"^[CPLDST][1-8]$|^C[AB]$")
#: RINEX 3.05 observation codes (§5.1): type C/L/D/S (I, X: iono, channel), band, attribute.
OBS_CODE_V3 = re.compile(r"^[CLDS][1-9][A-Z]$|^[IX]1 ?$|^[IX][1-9][A-Z]$")


@dataclass
class RinexHeader:
    """The decoded header of one RINEX file."""

    path: Path
    version: float
    file_type: str  # column 21: O, N, G, M, ...
    system: str  # column 41: G, R, E, C, J, S, M (blank in old GPS files)
    labels: dict[str, str] = field(default_factory=dict)  # label -> content (joined)
    obs_types: dict[str, list[str]] = field(default_factory=dict)  # system -> codes
    glonass_slots: dict[str, int] = field(default_factory=dict)  # "R01" -> channel k
    n_lines: int = 0  # header lines, END OF HEADER included
    declared: dict[str, tuple[int, int]] = field(default_factory=dict)  # system -> (n, line)

    def get(self, label: str, default: str = "") -> str:
        """The content of ``label`` (columns 1-60, joined over repeats), or ``default``."""
        return self.labels.get(label, default)


def parse_header(lines: list[bytes], path: str | PathLike[str], *,
                 expect: str = "") -> RinexHeader:
    """Decode the header of ``lines`` (a RINEX file's lines).

    ``expect`` lists the acceptable file-type letters (column 21), e.g. ``"O"``;
    another type, a missing ``RINEX VERSION / TYPE`` first record or a missing
    ``END OF HEADER`` raise :class:`~ionoquake.sources.rinex_text.RinexError`.
    """
    path = Path(path)
    first = lines[0].decode("ascii", "replace") if lines else ""
    if "RINEX VERSION / TYPE" not in first[60:80]:
        raise fail(path, 1, "not a RINEX file: the first record is not 'RINEX VERSION / TYPE'"
                            f" (found {first[60:80].strip() or first[:40].strip()!r})")
    try:
        version = float(first[:9])
    except ValueError:
        raise fail(path, 1, f"RINEX version {first[:9].strip()!r} is not a number") from None
    file_type = first[20:21]
    if expect and file_type not in expect:
        raise fail(path, 1, f"RINEX file type {first[20:40].strip()!r} is not "
                            f"{_type_words(expect)}")
    header = RinexHeader(path, version, file_type, first[40:41].strip())
    continuing = ""  # system whose SYS / # / OBS TYPES continue on the next line
    for number, raw in enumerate(lines[1:], start=2):
        text = raw.decode("ascii", "replace")
        label = text[60:80].strip()
        content = text[:60]
        if label == "END OF HEADER":
            header.n_lines = number
            break
        if label in header.labels:
            header.labels[label] += " " + content
        else:
            header.labels[label] = content
        if label == "# / TYPES OF OBSERV":
            if "" not in header.obs_types:
                header.declared[""] = (_count(content[:6], path, number), number)
            header.obs_types.setdefault("", []).extend(_codes(content[6:], path, number, 2))
        elif label == "SYS / # / OBS TYPES":
            system = content[0:1]
            if system.strip():
                continuing = system
                header.obs_types[system] = []
                header.declared[system] = (_count(content[3:6], path, number), number)
            elif not continuing:
                raise fail(path, number, "SYS / # / OBS TYPES continuation without a system")
            header.obs_types[continuing].extend(_codes(content[6:], path, number, 3))
        elif label == "GLONASS SLOT / FRQ #":
            header.glonass_slots.update(_slots(content, path, number))
    else:
        raise fail(path, len(lines), "no END OF HEADER record: the header is truncated or "
                                     "the file is not RINEX")
    return header


def _codes(text: str, path: Path, number: int, major: int) -> list[str]:
    codes = text.split()
    pattern = OBS_CODE_V2 if major == 2 else OBS_CODE_V3
    for code in codes:
        if not pattern.match(code):
            raise fail(path, number, f"unknown observation code {code!r} (RINEX {major} codes "
                                     f"look like {'L1, C1, P2, S1' if major == 2 else 'C1C, L2W'})")
    return codes


def _slots(content: str, path: Path, number: int) -> dict[str, int]:
    """``"R01  1 R02 -4 ..."`` (columns 5-60, 8 pairs of A1,I2.2,1X,I2) -> ``{"R01": 1, ...}``."""
    out: dict[str, int] = {}
    for start in range(4, 60, 7):
        sv, channel = content[start:start + 3], content[start + 3:start + 7]
        if not sv.strip():
            continue
        try:
            k = int(channel)
        except ValueError:
            raise fail(path, number, f"GLONASS SLOT / FRQ #: channel {channel.strip()!r} of "
                                     f"{sv} is not an integer") from None
        out[sv.replace(" ", "0")] = k
    return out


def _count(text: str, path: Path, number: int) -> int:
    try:
        return int(text)
    except ValueError:
        raise fail(path, number, f"number of observation types {text.strip()!r} is not an "
                                 "integer") from None


def check_obs_counts(header: RinexHeader) -> None:
    """Raise if there are no observation types, or a declared number differs from the list."""
    if not header.obs_types:
        raise fail(header.path, header.n_lines, "no observation types in the header "
                                                "('# / TYPES OF OBSERV' or 'SYS / # / OBS TYPES')")
    for system, (n, number) in header.declared.items():
        listed = len(header.obs_types[system])
        if n != listed:
            name = f"system {system}: " if system else ""
            raise fail(header.path, number, f"{name}{n} observation types declared, "
                                            f"{listed} listed")


def _type_words(letters: str) -> str:
    words = {"O": "OBSERVATION DATA", "N": "NAVIGATION DATA", "G": "GLONASS NAVIGATION",
             "M": "METEOROLOGICAL DATA"}
    return " or ".join(words.get(c, c) for c in letters)
