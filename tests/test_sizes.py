"""tests/sizes.py finds the functions over 60 lines and the modules over 500 (a report, not a gate)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sizes import long_functions, long_modules


def test_sizes_counts_lines_from_the_decorator_to_the_end(tmp_path):
    pkg = tmp_path / "filmflow"
    pkg.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(59))
    (pkg / "a.py").write_text(f"@staticmethod\ndef big():\n{body}\n\ndef small():\n    pass\n", encoding="utf-8")
    (pkg / "b.py").write_text("x = 1\n" * 501, encoding="utf-8")
    assert long_functions(pkg) == [(61, "a.py:2 big")]
    assert long_modules(pkg) == [(501, "b.py")]


def test_the_report_runs_on_the_package():
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "sizes.py")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "functions over 60 lines" in done.stdout and "modules over 500 lines" in done.stdout
