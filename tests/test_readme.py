"""The README's Python example runs as written, from the repository's folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_readme_python_example_runs(tmp_path: Path) -> None:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no Python example"
    # run where the README says (the repository's folder, for data/), writing its store
    # into a temporary folder so the checkout stays clean
    os.symlink(REPO / "data", tmp_path / "data")
    for code in blocks:
        result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                                text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    assert "positive cell-epochs; TEC over Tokyo" in result.stdout
    assert (tmp_path / "example-store" / "maps" / "jplg").is_dir()
