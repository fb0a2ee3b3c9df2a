"""A slow, obviously-correct IONEX reader used only to check the fast one.

Line by line, as the specification reads: a record's label is in columns 61-80,
a value line holds 16 fields of 5 characters. No numpy tricks.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import ncompress


def text_of(path: Path) -> str:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    elif raw[:2] == b"\x1f\x9d":
        raw = ncompress.decompress(raw)
    return raw.decode("latin-1")


def reference_maps(path: Path) -> dict[tuple[str, str], dict[float, list[float | None]]]:
    """{(kind, epoch text): {lat: [values in TECU or None]}} straight from the text."""
    lines = text_of(path).replace("\r", "").split("\n")
    exponent = -1
    i = 0
    while "END OF HEADER" not in lines[i]:
        if lines[i][60:].strip() == "EXPONENT":
            exponent = int(lines[i][:60])
        i += 1
    maps: dict[tuple[str, str], dict[float, list[float | None]]] = {}
    kind = epoch = ""
    map_exponent = exponent
    row_lat = None
    for line in lines[i + 1:]:
        label = line[60:].strip()
        if label.startswith("START OF"):
            kind = label.split()[2].lower()
            map_exponent = exponent
        elif label == "EPOCH OF CURRENT MAP":
            epoch = " ".join(line[:60].split())
            maps[(kind, epoch)] = {}
        elif label == "EXPONENT":
            map_exponent = int(line[:60])
        elif label == "LAT/LON1/LON2/DLON/H":
            row_lat = float(line[2:8])
            maps[(kind, epoch)][row_lat] = []
        elif label.startswith("END OF") or not line.strip():
            row_lat = None
        elif row_lat is not None:
            for j in range(0, len(line.rstrip()), 5):
                v = int(line[j:j + 5])
                maps[(kind, epoch)][row_lat].append(None if v == 9999 else v * 10.0**map_exponent)
    return maps
