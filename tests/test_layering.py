"""Dependencies point inward: ``shared/`` imports neither Qt, aiohttp nor either edge."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT / "shared"
FORBIDDEN = {"PySide6", "shiboken6", "aiohttp", "desktop", "sync"}


def forbidden_imports(source: str, filename: str) -> list[str]:
    """The imports in ``source`` whose top-level package is forbidden inside ``shared``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{filename}:{node.lineno} {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    return found


def test_the_scan_recognises_every_import_form() -> None:
    source = (
        "import PySide6.QtCore\nimport os, aiohttp\nfrom desktop import cli\n"
        "from sync.app import make_app\nfrom . import models\nfrom .sync_log import pull\n"
        "def f():\n    import aiohttp.web\n"
    )
    assert [hit.split(" ")[1] for hit in forbidden_imports(source, "x.py")] == [
        "PySide6.QtCore", "aiohttp", "desktop", "sync.app", "aiohttp.web",
    ]


def shared_sources() -> list[Path]:
    """Every Python file of the domain package, migrations included."""
    return sorted(SHARED.rglob("*.py"))


@pytest.mark.parametrize("path", shared_sources(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_shared_module_imports_no_edge(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert forbidden_imports(source, str(path.relative_to(REPO_ROOT))) == []


def test_importing_shared_loads_neither_qt_nor_aiohttp() -> None:
    # Imports every module (not only the package) so a lazy import at module level shows up;
    # Alembic's env.py and revision files run only inside a migration and are scanned above.
    code = """
import pkgutil, sys, importlib
import shared
for info in pkgutil.walk_packages(shared.__path__, "shared."):
    if not info.name.startswith("shared.migrations."):
        importlib.import_module(info.name)
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"PySide6", "shiboken6", "aiohttp",
                                                          "desktop", "sync"})
print(",".join(loaded))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
