"""Report filmflow's functions over 60 lines and modules over 500 lines (issue 13's size limits).

    python tests/sizes.py            # longest first
    python tests/sizes.py --json

The report; tests/test_sizes.py is the gate built on these functions (its PENDING list names
today's offenders, each with its reason). Schema DDL (catalog/schema.py) is exempt from the
function limit.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "filmflow"
MAX_FUNCTION = 60
MAX_MODULE = 500
EXEMPT = {"catalog/schema.py"}  # migrations are DDL, one function per schema version


def long_functions(root: Path = PKG, limit: int = MAX_FUNCTION) -> list[tuple[int, str]]:
    """(lines, 'path:line name') of each function longer than `limit` lines, longest first."""
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if rel in EXEMPT:
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                n = node.end_lineno - start + 1
                if n > limit:
                    out.append((n, f"{rel}:{node.lineno} {node.name}"))
    return sorted(out, key=lambda t: (-t[0], t[1]))


def long_modules(root: Path = PKG, limit: int = MAX_MODULE) -> list[tuple[int, str]]:
    """(lines, path) of each module longer than `limit` lines, longest first."""
    out = [(len(p.read_text(encoding="utf-8").splitlines()), p.relative_to(root).as_posix())
           for p in sorted(root.rglob("*.py"))]
    return sorted(((n, r) for n, r in out if n > limit), key=lambda t: (-t[0], t[1]))


def main(argv: list[str]) -> int:
    funcs, mods = long_functions(), long_modules()
    if "--json" in argv:
        sys.stdout.write(json.dumps({"functions": funcs, "modules": mods}, indent=1) + "\n")
        return 0
    sys.stdout.write(f"{len(funcs)} functions over {MAX_FUNCTION} lines:\n")
    sys.stdout.writelines(f"  {n:4d}  {where}\n" for n, where in funcs)
    sys.stdout.write(f"{len(mods)} modules over {MAX_MODULE} lines:\n")
    sys.stdout.writelines(f"  {n:4d}  {where}\n" for n, where in mods)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
