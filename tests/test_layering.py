"""The core never imports click, prints or exits; nothing imports the CLI; config/ ships."""

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

