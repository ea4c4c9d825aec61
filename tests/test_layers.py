"""Imports run one way (docs/architecture.md): HTTP and the sync protocol call the application
layer (services/), which calls the outbound channels, the data layer and the domain's rules; never
the other way. Every import is checked, the ones inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Higher imports lower (or its own rank), never higher.
RANKS = {
    "domain": 0,
    "settings": 0,
    "servertime": 0,
    "db": 1,
    "events": 1,
    "storage": 1,
    "push": 2,
    "reach": 2,
    "services": 3,
    "sync": 4,
    "demo": 4,
    "ops": 4,
    "api": 5,
}


def imported_names(path: Path) -> set[str]:
    """What `path` imports, dotted (absolute imports, inside functions too): `from a.b import c`
    gives a.b and a.b.c."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def imported_modules(path: Path) -> set[str]:
    """The top-level modules `path` imports."""
    return {name.split(".")[0] for name in imported_names(path)}


def test_imports_run_one_way():
    wrong = []
    for package, rank in RANKS.items():
        files = [ROOT / f"{package}.py"] if (ROOT / f"{package}.py").exists() else []
        files += sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []
        assert files, package
        for path in files:
            for target in imported_modules(path) & RANKS.keys():
                if RANKS[target] > rank:
                    wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_domain_is_plain_rules():
    """No HTTP, SQL, settings or clock in domain/: its functions take what they decide on."""
    for path in sorted((ROOT / "domain").rglob("*.py")):
        modules = imported_modules(path)
        assert not modules & {
            "litestar",
            "piccolo",
            "asyncpg",
            "sqlite3",
            "settings",
            "servertime",
        }, path


def test_the_http_layer_queries_no_table():
    """Controllers hand requests to services/: no table (db/*tables.py) is read or written in api/.
    (api/ may ask the engine whether it is up, and what a database error means.)"""
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "api").rglob("*.py"))
        for name in sorted(imported_names(path))
        if name.startswith("db.") and name.endswith("tables")
    ]
    assert not wrong, "\n".join(wrong)
