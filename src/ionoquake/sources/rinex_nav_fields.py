"""Names of the broadcast-ephemeris fields of a RINEX navigation record, per system.

The names and their order are georinex's (``georinex/nav2.py``, ``nav3.py``), which follow
RINEX 3.04 Tables A6-A18 ("broadcast orbit" lines 1-7 after the clock line): GPS/QZSS
(A6/A14), Galileo (A8), GLONASS (A10), BeiDou (A12), SBAS (A16), IRNSS (A18). Units are
the file's (seconds, metres, radians, rad/s, ...), except GLONASS and SBAS positions,
velocities and accelerations, given in km, km/s, km/s² in the file and converted to
metres (``* 1e3``) as georinex does.
"""

from __future__ import annotations

_KEPLER = ["SVclockBias", "SVclockDrift", "SVclockDriftRate", "IODE", "Crs", "DeltaN", "M0",
           "Cuc", "Eccentricity", "Cus", "sqrtA", "Toe", "Cic", "Omega0", "Cis", "Io", "Crc",
           "omega", "OmegaDot", "IDOT"]

GPS = [*_KEPLER, "CodesL2", "GPSWeek", "L2Pflag", "SVacc", "health", "TGD", "IODC",
       "TransTime", "FitIntvl", "spare0", "spare1"]
GALILEO = ["IODnav" if f == "IODE" else f for f in _KEPLER] + [
    "DataSrc", "GALWeek", "spare0", "SISA", "health", "BGDe5a", "BGDe5b", "TransTime",
    "spare1", "spare2", "spare3"]
BEIDOU = ["AODE" if f == "IODE" else f for f in _KEPLER] + [
    "spare0", "BDTWeek", "spare1", "SVacc", "SatH1", "TGD1", "TGD2", "TransTime", "AODC",
    "spare2", "spare3"]
IRNSS = ["IODEC" if f == "IODE" else f for f in _KEPLER] + [
    "spare0", "BDTWeek", "spare1", "URA", "health", "TGD", "spare2", "TransTime", "spare3",
    "spare4", "spare5"]
GLONASS = ["SVclockBias", "SVrelFreqBias", "MessageFrameTime", "X", "dX", "dX2", "health",
           "Y", "dY", "dY2", "FreqNum", "Z", "dZ", "dZ2", "AgeOpInfo"]
SBAS = ["SVclockBias", "SVrelFreqBias", "MessageFrameTime", "X", "dX", "dX2", "health",
        "Y", "dY", "dY2", "URA", "Z", "dZ", "dZ2", "IODN"]

#: RINEX 3 fields per system letter.
FIELDS_V3: dict[str, list[str]] = {"G": GPS, "J": GPS, "E": GALILEO, "C": BEIDOU, "I": IRNSS,
                                   "R": GLONASS, "S": SBAS}
#: RINEX 2 fields per file type (column 21): N GPS, G GLONASS, E Galileo.
FIELDS_V2: dict[str, list[str]] = {"N": GPS[:29], "G": GLONASS, "E": GALILEO[:22] + GALILEO[23:28]}
#: Lines after the first of a record, per system (RINEX 3.04 Table A4 and the A-tables).
CONTINUATION_LINES: dict[str, int] = {"G": 7, "J": 7, "E": 7, "C": 7, "I": 7, "R": 3, "S": 3}
#: Fields in km (and per second, per second²) in the file, given in metres here.
KILOMETRES = frozenset({"X", "Y", "Z", "dX", "dY", "dZ", "dX2", "dY2", "dZ2"})
#: RINEX 4 message types whose record is laid out as in RINEX 3 (others are skipped).
LEGACY_V4 = {"LNAV": "GJ", "INAV": "E", "FNAV": "E", "D1": "C", "D2": "C", "FDMA": "R",
             "SBAS": "S"}
