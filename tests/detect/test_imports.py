"""The detection stage stays a library: importing it switches no plotting backend."""

from __future__ import annotations

import subprocess
import sys


def test_importing_detect_does_not_import_matplotlib() -> None:
    code = ("import sys, pkgutil, importlib, ionoquake.detect as d\n"
            "for m in pkgutil.iter_modules(d.__path__):\n"
            "    importlib.import_module(f'ionoquake.detect.{m.name}')\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
