"""The wheel carries every module and every file the app loads at run time.

The wheel is built from a copy of the source, offline, with the build backend
installed in this environment (``make`` installs it as pyproject.toml's
[build-system] asks).  Files planted in the copy stand for the icons and data
files still to come: anywhere inside the package, they must be carried too.
"""

from __future__ import annotations

import compileall
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLANTED = ("resources/icon.png", "resources/icons/play.svg", "gui/style.qss", "core/data/points.csv")


def package_files(package: Path) -> set[str]:
    """Every file of the package, as the wheel names it, without Python's byte-code caches."""
    return {path.relative_to(package.parent).as_posix() for path in package.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def test_the_wheel_carries_every_module_and_runtime_file(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for path in ROOT.iterdir():  # pyproject.toml, README.md...: what the build reads
        if path.is_file():
            shutil.copy2(path, source)
    shutil.copytree(ROOT / "nnviz", source / "nnviz")
    for name in PLANTED:
        (source / "nnviz" / name).parent.mkdir(parents=True, exist_ok=True)
        (source / "nnviz" / name).write_bytes(b"runtime data\n")
    compileall.compile_dir(source / "nnviz", quiet=1)  # caches, as a developer's tree has them

    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--check-build-dependencies", "--no-index", "-w", str(tmp_path / "dist"), "-q"],
        capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, (
        "building the wheel failed. If setuptools is too old or missing here, `make test` installs what "
        "pyproject.toml's [build-system] asks for into .venv (or: python -m pip install 'setuptools>=77')"
        f":\n{build.stdout}\n{build.stderr}")
    wheels = list((tmp_path / "dist").glob("nnviz-*.whl"))
    assert len(wheels) == 1, wheels
    names = set(zipfile.ZipFile(wheels[0]).namelist())

    expected = package_files(source / "nnviz")
    assert {f"nnviz/{name}" for name in PLANTED} <= expected
    assert any(name.endswith(".py") for name in expected) and len(expected) > 40
    assert sorted(expected - names) == [], "files of the package missing from the wheel"
    # The bundled lessons, which the window lists and `nnviz lesson check` reads from the package.
    lessons = sorted(name for name in names if name.startswith("nnviz/lessons/") and name.endswith(".toml"))
    assert lessons == sorted(f"nnviz/lessons/{path.name}" for path in (ROOT / "nnviz" / "lessons").glob("*.toml"))
    assert len(lessons) >= 10
    assert sorted(name for name in names if name.endswith(".pyc") or "__pycache__" in name) == []
    # Nothing but the package and its metadata: no tests, benchmarks or build leftovers.
    others = {name.split("/")[0] for name in names} - {"nnviz"}
    assert len(others) == 1 and re.fullmatch(r"nnviz-[^-]+\.dist-info", others.pop())
