"""The installable project (issue 2): layout, metadata, dependencies, packaged migrations, set-up.

* the top-level layout and the ``dabiao`` distribution (Python >= 3.11, console script);
* the dependencies chosen as asked (PySide6-Essentials, Addons only because QtCharts is used,
  never the ``pyside6`` meta-package with its web engine);
* the Alembic migrations travel inside the package: the files setuptools builds into a wheel
  hold them, and a program run from those files alone migrates a new and an old database;
* the README's set-up is two commands, the system packages live in one script that both the
  README's commands and CI run, and ``.ci/run`` is the README's test command.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def requirement_names(requirements: list[str]) -> set[str]:
    """Normalised distribution names of PEP 508 requirement strings."""
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, requirement
        names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def requirement(name: str) -> str:
    """The dependency string of ``name`` in pyproject.toml."""
    [found] = [r for r in PYPROJECT["project"]["dependencies"] if requirement_names([r]) == {name}]
    return found


# --------------------------------------------------------------------------- layout, metadata


def test_top_level_layout() -> None:
    for name in ("desktop", "sync", "mobile_web", "shared", "tests"):
        assert (REPO_ROOT / name).is_dir(), name
    for name in ("pyproject.toml", "README.md"):
        assert (REPO_ROOT / name).is_file(), name


def test_distribution_python_and_console_script() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == "dabiao"
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"] == {"dabiao": "desktop.cli:main"}
    # What is installed in this environment is this project, with that entry point.
    dist = importlib.metadata.distribution("dabiao")
    [script] = [e for e in dist.entry_points if e.group == "console_scripts"]
    assert (script.name, script.value) == ("dabiao", "desktop.cli:main")
    assert (Path(sys.executable).parent / "dabiao").exists()


def test_dependencies_are_the_ones_asked_for() -> None:
    runtime = requirement_names(PYPROJECT["project"]["dependencies"])
    assert {
        "pyside6-essentials",
        "sqlalchemy",
        "alembic",
        "aiohttp",
        "zeroconf",
        "pydantic",
        "platformdirs",
    } <= runtime
    assert "pyside6" not in runtime  # the meta-package drags in the 265 MB web engine
    assert re.search(r">=\s*2", requirement("sqlalchemy")) and "<2.2" in requirement("sqlalchemy")
    assert re.search(r">=\s*2", requirement("pydantic")) and "<3" in requirement("pydantic")
    test = requirement_names(PYPROJECT["project"]["optional-dependencies"]["test"])
    assert {"pytest", "pytest-qt", "hypothesis", "playwright"} <= test
    assert {"pytest-aiohttp", "pytest-asyncio"} & test


def test_pyside6_addons_only_because_qtcharts_is_used() -> None:
    runtime = requirement_names(PYPROJECT["project"]["dependencies"])
    uses_charts = [
        path.relative_to(REPO_ROOT)
        for path in sorted((REPO_ROOT / "desktop").rglob("*.py"))
        if re.search(
            r"\bPySide6\.QtCharts\b|from PySide6 import .*\bQtCharts\b",
            path.read_text(encoding="utf-8"),
        )
    ]
    assert ("pyside6-addons" in runtime) == bool(uses_charts), uses_charts
    # Neither the meta-package nor its web engine is installed here.
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("PySide6")


# --------------------------------------------------------------------------- packaged migrations


_MIGRATE_FROM_BUILD = """
import shutil, sqlite3, sys
from pathlib import Path
import shared
from shared.db import head_revision, open_database
assert shared.__file__.startswith(sys.argv[1]), shared.__file__
work = Path(sys.argv[2])
old = work / "old.dabiao"
shutil.copyfile(sys.argv[3], old)
for path in (work / "new.dabiao", old):
    open_database(path).close()
    conn = sqlite3.connect(path)
    print(path.name, conn.execute("SELECT version_num FROM alembic_version").fetchone()[0],
          conn.execute("SELECT count(*) FROM campuses").fetchone()[0])
    conn.close()
print("head", head_revision())
"""


def clean_source_tree(folder: Path) -> Path:
    """The project's files as a fresh clone has them (no egg-info, no caches) in ``folder``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO_ROOT / name, folder / name)
    for name in ("shared", "sync", "desktop", "mobile_web"):
        shutil.copytree(REPO_ROOT / name, folder / name, ignore=ignore)
    return folder


def test_migrations_are_packaged_and_applied_from_the_built_package(tmp_path: Path) -> None:
    build = tmp_path / "build"
    (tmp_path / "source").mkdir()
    source = clean_source_tree(tmp_path / "source")
    # setuptools' build_py copies exactly the modules and package data a wheel holds; it runs
    # in a copy without the editable install's egg-info, whose file list would fill any gap.
    code = (
        "import sys, setuptools\n"
        f"sys.argv = ['setup.py', '-q', 'build_py', '--build-lib', {str(build)!r}]\n"
        "setuptools.setup()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    migrations = REPO_ROOT / "shared" / "migrations"
    shipped = {
        p.relative_to(REPO_ROOT).as_posix()
        for p in migrations.rglob("*")
        if p.is_file() and p.suffix in {".py", ".mako"}
    }
    built = {p.relative_to(build).as_posix() for p in (build / "shared").rglob("*") if p.is_file()}
    assert any(name.endswith(".mako") for name in shipped)
    assert len([n for n in shipped if "/versions/0" in n]) >= 4
    assert shipped <= built, sorted(shipped - built)
    assert (build / "mobile_web" / "index.html").is_file()

    work = tmp_path / "elsewhere"
    work.mkdir()
    fixture = REPO_ROOT / "tests" / "fixtures" / "schemas" / "0001.dabiao"
    env = {**os.environ, "PYTHONPATH": str(build)}
    result = subprocess.run(
        [sys.executable, "-c", _MIGRATE_FROM_BUILD, str(build), str(work), str(fixture)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    head = lines["head"]
    assert lines["new.dabiao"] == f"{head} 0"
    revision, campuses = lines["old.dabiao"].split()
    assert revision == head and int(campuses) >= 1


# --------------------------------------------------------------------------- set-up and CI


def setup_commands() -> list[str]:
    """The commands of the README's "Set up" code block."""
    section = README.split("\n## Set up", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line.strip() for line in block.splitlines()[1:] if line.strip()]


def test_readme_says_what_dabiao_is_in_chinese_and_english() -> None:
    intro = README.split("\n## ", 1)[0]
    assert "**中文**" in intro and "培训机构" in intro
    assert "**English**" in intro and "training schools" in intro


def test_readme_set_up_is_two_commands_one_to_run_one_to_test() -> None:
    assert setup_commands() == ["bash scripts/dev.sh start", "bash scripts/dev.sh test"]
    dev = (REPO_ROOT / "scripts" / "dev.sh").read_text(encoding="utf-8")
    # Both commands go through setup(), which runs the one system-packages script.
    setup_body = dev.split("setup() {", 1)[1].split("\n}", 1)[0]
    assert 'bash "$ROOT/scripts/install-system-deps.sh"' in setup_body
    for function in ("start() {", "run_tests() {"):
        assert dev.split(function, 1)[1].split("\n}", 1)[0].lstrip().startswith("setup"), function
    # `start` opens the desktop on the demo campus, the embedded default.
    assert '"$VENV/bin/dabiao" demo' in dev and 'exec "$VENV/bin/dabiao" --db "$demo"' in dev


def test_ci_runs_the_readmes_test_command() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [
        line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")
    ]
    assert commands[-1] == setup_commands()[1]
    assert "set -euo pipefail" in commands


def test_the_system_packages_script_has_what_qt_fonts_and_the_browser_need() -> None:
    script = (REPO_ROOT / "scripts" / "install-system-deps.sh").read_text(encoding="utf-8")
    listed = set(
        re.findall(
            r"[a-z0-9][a-z0-9.+-]+",
            " ".join(
                line.split("#", 1)[0]
                for line in script.split("PACKAGES=(", 1)[1].split("\n)", 1)[0].splitlines()
            ),
        )
    )
    # DESIGN.md, testing notes: the CJK font, Qt's xcb libraries for Xvfb, Debian's chromium.
    assert {"fonts-wqy-microhei", "xvfb", "libxcb-icccm4", "libxcb-keysyms1", "chromium"} <= listed
    assert "DEBIAN_FRONTEND=noninteractive" in script and "apt-get install -y" in script
    for path in ("scripts/install-system-deps.sh", "scripts/dev.sh", ".ci/run"):
        result = subprocess.run(
            ["bash", "-n", str(REPO_ROOT / path)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, (path, result.stderr)
