"""Every reader, fed seeded mutants of one real file of its kind, fails cleanly or reads right.

Mutants (``tests/sources/fuzz_mutants.py``): truncation, byte flips, line deletion and
duplication, huge numbers, wrong encodings, an empty file, a directory, a symlink loop.
For each one the reader must either raise an ``IonoquakeError`` (the CLI's one-line
error) or return a result that passes the readers' own guarantees (times strictly
increasing, coordinates on the globe, TEC in its physical range, no control bytes in
TLE lines, ...); never another exception.

Ten mutants per file here (a few seconds each); ``IONOQUAKE_FUZZ_MUTANTS=200`` or
``python benchmarks/fuzz_readers.py --n 200`` for the long run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.sources.fuzz_mutants import SHARED, make_mutant, outcome, samples

N_MUTANTS = int(os.environ.get("IONOQUAKE_FUZZ_MUTANTS", "10"))
# Seeds 17, 18 and 19 (mod 20) are the empty file, the directory and the symlink loop.
SEEDS = [*range(max(N_MUTANTS - 3, 0)), 17, 18, 19] if N_MUTANTS <= 20 else range(N_MUTANTS)
KINDS = [s.kind for s in samples(Path("/nonexistent"), write=False)]


@pytest.mark.parametrize("kind", KINDS)
def test_mutants_of_a_real_file_fail_cleanly_or_read_right(kind: str, tmp_path: Path) -> None:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the fuzz tests mutate the real data there")
    sample = next(s for s in samples(tmp_path) if s.kind == kind)
    failures = []
    for seed in SEEDS:
        folder = tmp_path / f"m{seed}"
        what, path = make_mutant(sample, seed, folder)
        result, detail = outcome(sample, path)
        if result in ("crash", "invalid"):
            failures.append(f"seed {seed} ({what}): {result}: {detail}")
        shutil.rmtree(folder)
    assert not failures, "\n".join(failures)
