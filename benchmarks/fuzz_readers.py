"""Fuzz every reader with seeded mutants of real files; print what happened, per kind.

    python benchmarks/fuzz_readers.py --n 200

For each kind of file (see ``tests/sources/fuzz_mutants.py``) it writes ``--n`` mutants
(truncation, byte flips, line deletion and duplication, huge numbers, wrong encodings,
empty files, a directory, a symlink loop) and reads each one. A reader must either raise
an IonoquakeError (the CLI's one-line error) or return a result that passes the checks
of ``fuzz_mutants.check_result``. Crashes and accepted-but-invalid results are listed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.sources.fuzz_mutants import make_mutant, outcome, samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="mutants per file")
    parser.add_argument("--kind", action="append", help="only these kinds")
    args = parser.parse_args()
    bad: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print(f"{'kind':14s} {'tried':>6s} {'errors':>7s} {'accepted':>9s} {'crashes':>8s} "
              f"{'invalid':>8s} {'s':>6s}")
        for sample in samples(tmp):
            if args.kind and sample.kind not in args.kind:
                continue
            counts: Counter[str] = Counter()
            t0 = time.perf_counter()
            for seed in range(args.n):
                folder = tmp / f"{sample.kind}-{seed}"
                what, path = make_mutant(sample, seed, folder)
                result, detail = outcome(sample, path)
                counts[result] += 1
                if result in ("crash", "invalid"):
                    bad.append(f"{sample.kind} seed {seed} ({what}): {result}: {detail}")
                shutil.rmtree(folder)
            print(f"{sample.kind:14s} {args.n:6d} {counts['error']:7d} {counts['accepted']:9d} "
                  f"{counts['crash']:8d} {counts['invalid']:8d} {time.perf_counter() - t0:6.1f}",
                  flush=True)
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
