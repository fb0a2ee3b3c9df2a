"""Damaged binary files: library errors turned into the reader's one-line error.

The CDF and HDF5 libraries (cdflib, h5py) raise whatever their decoding meets in a
truncated or corrupted file: ``ValueError: read length must be non-negative``,
``zlib.error``, ``gzip.BadGzipFile``, ``EOFError``, ``struct.error``, h5py's
``RuntimeError``/``KeyError``, or a ``MemoryError`` when a damaged record length asks
for terabytes. At the reader boundary they become the reader's own
:class:`~ionoquake.errors.IonoquakeError` subclass, naming the file.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike

from ionoquake.errors import IonoquakeError

#: What cdflib and h5py raise on a damaged file (gzip.BadGzipFile is an OSError).
LIBRARY_ERRORS = (OSError, EOFError, ValueError, KeyError, IndexError, TypeError,
                  RuntimeError, MemoryError, OverflowError, struct.error, zlib.error,
                  UnicodeDecodeError)


@contextmanager
def damaged_file_errors(path: str | PathLike[str], error: type[IonoquakeError],
                        what: str) -> Iterator[None]:
    """Raise ``error("<path>: not a readable <what>, damaged or truncated (...)")`` instead.

    Errors of the project (:class:`IonoquakeError`) pass through unchanged.
    """
    try:
        yield
    except IonoquakeError:
        raise
    except LIBRARY_ERRORS as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise error(f"{path}: not a readable {what}, damaged or truncated "
                    f"({detail[:160]})") from None
