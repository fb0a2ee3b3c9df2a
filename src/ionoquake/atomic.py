"""Atomic writes: a killed process never leaves a half-written file or folder.

Everything is written next to its final place under a temporary name
(``.<name>.tmp-<id>``) and renamed into place (``os.replace`` is atomic on POSIX
within one file system). A file is replaced in that one rename.

A folder cannot be renamed onto an existing folder, so replacing one takes three
steps, ordered so that a complete copy exists at every moment:

1. the old folder is renamed aside to ``.<name>.prev-<id>`` (the *previous complete
   copy*);
2. the new folder is renamed into place;
3. the previous copy is deleted.

A process killed between 1 and 2 leaves only the previous copy: readers use it
(:func:`complete_copy`) and :func:`remove_stale_temporaries` renames it back,
never deletes it. Killed between 2 and 3 (or during the deletion), the previous
copy is deleted because its replacement is in place. Protection is against a
killed process, not against power loss (no ``fsync``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: Called with the name of each step of a folder replacement (``"written"``,
#: ``"moved aside"``, ``"moved in"``, ``"previous removed"``); tests set it to
#: kill the process at a chosen step. None in normal use.
fault_point: Callable[[str], None] | None = None

#: The steps of a folder replacement, in order, as passed to :data:`fault_point`.
REPLACE_STEPS = ("written", "moved aside", "moved in", "previous removed")

_PREV = ".prev-"


def _step(name: str) -> None:
    if fault_point is not None:
        fault_point(name)


def _tmp_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")


def _aside_sibling(path: Path) -> Path:
    return path.with_name(f".{path.name}{_PREV}{uuid.uuid4().hex[:8]}")


def previous_copies(path: str | os.PathLike[str]) -> list[Path]:
    """The previous complete copies of the folder ``path`` left by an unfinished replacement."""
    path = Path(path)
    return sorted(path.parent.glob(f".{path.name}{_PREV}*"))


def replaced_path(aside: Path) -> Path:
    """The folder that the previous copy ``aside`` (``.<name>.prev-<id>``) is a copy of."""
    name = aside.name[1:aside.name.rindex(_PREV)]
    return aside.with_name(name)


def complete_copy(path: str | os.PathLike[str]) -> Path | None:
    """``path`` if it exists, else its previous complete copy if one is left, else None."""
    path = Path(path)
    if path.exists():
        return path
    aside = previous_copies(path)
    return aside[0] if aside else None


def _replace_folder(tmp: Path, path: Path) -> None:
    old = _aside_sibling(path)
    path.rename(old)
    try:
        _step("moved aside")
        tmp.rename(path)
    except BaseException:
        if not path.exists() and old.exists():
            old.rename(path)  # the new folder did not get in: the old one goes back
        raise
    _step("moved in")
    shutil.rmtree(old)
    _step("previous removed")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write a file or folder to; move it onto ``path`` on success.

    An existing ``path`` is replaced only after the new content is complete, and
    at every moment a complete ``path`` or its previous copy exists (module docstring).
    On error the temporary is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_sibling(path)
    try:
        yield tmp
        _step("written")
        if path.is_dir() and tmp.is_dir():
            _replace_folder(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        elif tmp.exists():
            tmp.unlink()


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def restore_previous_copies(folder: str | os.PathLike[str]) -> int:
    """Finish the folder replacements a killed process left below ``folder``.

    A previous copy whose replacement is missing is renamed back into place
    (never deleted); one whose replacement is in place is deleted. Returns how
    many previous copies were handled.
    """
    n = 0
    for aside in sorted(Path(folder).rglob(f".*{_PREV}*")):
        if not aside.exists():  # inside another previous copy already handled
            continue
        target = replaced_path(aside)
        if not target.exists():
            aside.rename(target)
        else:
            shutil.rmtree(aside, ignore_errors=True)
        n += 1
    return n


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> int:
    """Clean up after killed writes below ``folder``; return how many leftovers were handled.

    Previous complete copies are restored or deleted first
    (:func:`restore_previous_copies`), then ``.*.tmp-*`` temporaries are deleted.
    """
    n = restore_previous_copies(folder)
    for tmp in Path(folder).rglob(".*.tmp-*"):
        if not tmp.exists():
            continue
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        n += 1
    return n
