"""Print filmflow's import graph between units (a top-level module or package), as the layer map
in tests/test_layering.py sees it: every import, inside functions and under TYPE_CHECKING too.

    python tests/importgraph.py            # `unit -> units it imports`, then the totals
    python tests/importgraph.py DIR        # another checkout (its filmflow/ folder)

A report for reviews and closing notes; tests/test_layering.py is the gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_layering import imported_units  # noqa: E402


def graph(pkg: Path) -> dict[str, set[str]]:
    """unit -> the other units it imports (`filmflow` itself, i.e. __version__, left out)."""
    out: dict[str, set[str]] = {}
    for p in sorted(pkg.rglob("*.py")):
        src = _unit(pkg, p)
        out.setdefault(src, set()).update(u for u, _ in imported_units(p, pkg) if u not in (src, "filmflow"))
    return out


def _unit(pkg: Path, p: Path) -> str:
    rel = p.relative_to(pkg).with_suffix("").parts
    return "filmflow" if rel == ("__init__",) else rel[0]


def main(argv: list[str]) -> int:
    pkg = (Path(argv[0]) / "filmflow") if argv else Path(__file__).resolve().parent.parent / "filmflow"
    g = graph(pkg)
    for unit in sorted(g):
        sys.stdout.write(f"{unit:14s} -> {', '.join(sorted(g[unit])) or '-'}\n")
    sys.stdout.write(f"# {len(g)} units, {sum(len(v) for v in g.values())} edges\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
