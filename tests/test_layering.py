"""The layer map (who may import whom) holds; the core never imports click, prints or exits;
nothing imports the faces (cli/, web/); config/ ships."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "filmflow"
CORE = [p for p in PKG.rglob("*.py") if "cli" not in p.relative_to(PKG).parts and p.name != "__main__.py"]


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


# --- the layer map -------------------------------------------------------------------------
# Each top-level module or package of filmflow sits in one layer, lowest first. A unit may
# import any unit of a lower layer and its peers in its own layer; never one above. The
# faces are imported by nobody but `python -m filmflow` (-> cli) and `filmflow serve`
# (cli -> web). Every import counts: module level, inside functions, under TYPE_CHECKING.
LAYERS: list[tuple[str, set[str]]] = [
    ("base", {"errors", "filmflow"}),                                  # filmflow: __version__
    ("tools", {"fsutil", "config", "aliases", "stocks", "wording", "tempfiles"}),
    ("values", {"stockfamilies", "imaging"}),
    ("languages", {"query"}),
    ("catalog", {"catalog"}),
    ("library", {"library"}),
    ("operations", {"opencatalog", "ingest", "versions", "refile", "rolledit", "metadata", "logs"}),  # metadata/: XMP
    ("outputs", {"outputs", "export", "stats"}),                       # outputs/: sheet, gallery, chart...
    ("watcher", {"watch"}),
    ("fixity", {"fixity"}),                                          # status reports on the watcher
    ("faces", {"cli", "web", "__main__"}),
]
FACES = {"cli", "web"}
FACE_IMPORTS = {("__main__", "cli"), ("cli", "web")}
# Upward edges that exist today, each a debt with its reason (issue 13). None is left: the
# last, library -> refile, went when opening the catalog moved to filmflow.opencatalog.
EXCEPTIONS: dict[tuple[str, str], str] = {}
LAYER_OF = {unit: n for n, (_, units) in enumerate(LAYERS) for unit in units}


def unit_of(path: Path) -> str:
    """The top-level unit a source file belongs to: `catalog` for catalog/db.py, `fsutil` for fsutil.py."""
    rel = path.relative_to(PKG).with_suffix("").parts
    return "filmflow" if rel == ("__init__",) else rel[0]


def imported_units(path: Path, root: Path = PKG) -> set[tuple[str, int]]:
    """(unit, line) of every filmflow import in a file, wherever it stands (functions, TYPE_CHECKING)."""
    out: set[tuple[str, int]] = set()
    package = path.relative_to(root).parent.parts
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .x import y
                base = ("filmflow", *package[:len(package) - node.level + 1])
                names = [".".join(base + ((node.module,) if node.module else ()))]
            else:
                names = [node.module or ""]
            if names[0] == "filmflow":  # from filmflow import fsutil, __version__
                names = [f"filmflow.{a.name}" for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "filmflow":
                unit = parts[1] if len(parts) > 1 else "filmflow"
                out.add(("filmflow" if unit == "__version__" else unit, node.lineno))
    return out


def forbidden_imports(files: list[Path]) -> list[str]:
    """'src.py:line imports unit (layer a -> layer b)' for each import the layer map forbids."""
    bad = []
    for p in files:
        src = unit_of(p)
        for dst, line in sorted(imported_units(p)):
            if dst == src or (src, dst) in EXCEPTIONS:
                continue
            if dst in FACES or src in FACES | {"__main__"}:
                ok = dst not in FACES or (src, dst) in FACE_IMPORTS
            else:
                ok = LAYER_OF.get(dst, 99) <= LAYER_OF.get(src, -1)
            if not ok:
                bad.append(f"{p.relative_to(PKG)}:{line} imports {dst} "
                           f"({LAYERS[LAYER_OF[src]][0]} -> {LAYERS[LAYER_OF.get(dst, 0)][0]})")
    return bad


ALL = sorted(PKG.rglob("*.py"))


def test_every_unit_has_a_layer():
    assert sorted({unit_of(p) for p in ALL} - set(LAYER_OF)) == [], "add new modules to LAYERS"
    assert sorted(set(LAYER_OF) - {unit_of(p) for p in ALL}) == [], "LAYERS names a unit that is gone"


def test_no_import_crosses_the_layer_map():
    assert forbidden_imports(ALL) == []


def test_every_exception_is_still_needed():
    edges = {(unit_of(p), dst) for p in ALL for dst, _ in imported_units(p)}
    assert sorted(set(EXCEPTIONS) - edges) == [], "this import is gone; delete its EXCEPTIONS entry"


def test_the_map_says_what_the_style_guide_says():
    below = lambda a, b: LAYER_OF[a] < LAYER_OF[b]  # noqa: E731
    assert all(below("catalog", u) for u in ("ingest", "export", "outputs", "stats", "watch", "cli", "web"))
    assert all(below(u, "catalog") for u in ("query", "stocks", "errors", "fsutil"))
    assert below("ingest", "watch") and below("watch", "fixity") and below("fixity", "cli")
    assert LAYER_OF["errors"] == 0


def test_the_check_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / "filmflow"
    (pkg / "catalog").mkdir(parents=True)
    (pkg / "catalog" / "frames.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from filmflow import fsutil\n"
        "if TYPE_CHECKING:\n"
        "    from filmflow.ingest.plan import IngestPlan\n"
        "def f():\n"
        "    import filmflow.cli.output\n"
        "    from ..web import app\n"
        "    from . import rolls\n", encoding="utf-8")
    found = imported_units(pkg / "catalog" / "frames.py", pkg)
    assert sorted(found) == [("catalog", 9), ("cli", 7), ("fsutil", 3), ("ingest", 5), ("web", 8)]


def test_core_modules_exist_and_are_checked():
    assert len(CORE) > 20


def test_core_never_imports_click_or_the_cli():
    bad = {str(p.relative_to(PKG)): sorted(m for m in imports(p) if m == "click" or m.startswith("click.")
                                           or m.startswith("filmflow.cli"))
           for p in CORE}
    assert {k: v for k, v in bad.items() if v} == {}


def test_core_never_prints_or_exits():
    offenders = []
    for p in CORE:
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f"{getattr(f.value, 'id', '?')}.{f.attr}" \
                    if isinstance(f, ast.Attribute) else ""
                if name in ("print", "sys.exit", "exit", "quit", "os._exit"):
                    offenders.append(f"{p.relative_to(PKG)}:{node.lineno} {name}")
    assert offenders == []


def test_errors_imports_nothing_of_ours():
    assert not [m for m in imports(PKG / "errors.py") if m.startswith("filmflow")]


def test_only_stocks_locates_config():
    users = [p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py")
             if "config_dir" in p.read_text(encoding="utf-8") and p.name != "stocks.py"]
    assert users == []



def unit_cycle(edges: set[tuple[str, str]]) -> list[str]:
    """One cycle of units importing each other (a -> b -> ... -> a), or [] when there is none."""
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        if a != b:
            graph.setdefault(a, set()).add(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(u: str) -> list[str]:
        state[u] = 1
        path.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                return path[path.index(v):] + [v]
            if v not in state and (found := visit(v)):
                return found
        state[u] = 2
        path.pop()
        return []

    for u in sorted(graph):
        if u not in state and (found := visit(u)):
            return found
    return []


def test_no_two_units_import_each_other():
    """Peers of a layer may import each other, but not in a circle: the units form a DAG, so each
    can be read (and tested) knowing only what it imports."""
    edges = {(unit_of(p), dst) for p in ALL for dst, _ in imported_units(p)}
    assert unit_cycle(edges) == []


def test_the_cycle_check_finds_a_cycle():
    assert unit_cycle({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == ["a", "b", "c", "a"]
    assert unit_cycle({("a", "b"), ("b", "c"), ("a", "c")}) == []


def test_the_import_graph_report_runs():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, str(Path(__file__).parent / "importgraph.py")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = {a.strip(): b for a, b in (line.split(" -> ") for line in done.stdout.splitlines() if " -> " in line)}
    assert lines["query"].strip() == "errors" and "web" in lines["cli"] and "cli" not in lines["web"]
