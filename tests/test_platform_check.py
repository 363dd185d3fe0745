"""The check ``make run`` makes before the window opens: the system libraries of Qt's X11 plugin, a display.

A missing library is faked with a name no system has; nothing is uninstalled.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnviz.gui import platform_check
from nnviz.gui.platform_check import APT_PACKAGES, LIBRARIES, check, install_line, missing_libraries

ROOT = Path(__file__).resolve().parents[1]
FAKE = "libnnviz-no-such-library.so.7"
# The real libraries, and one that no system has.
WITH_FAKE = {**LIBRARIES, FAKE: "nnviz-no-such-package"}
X11 = {"DISPLAY": ":0"}


def run_check(env: dict[str, str], fake_missing: bool) -> subprocess.CompletedProcess:
    """``python -m nnviz.gui.platform_check`` as make runs it, with a missing library added on request."""
    code = ("import sys; from nnviz.gui import platform_check as c; "
            + (f"c.LIBRARIES[{FAKE!r}] = 'nnviz-no-such-package'; " if fake_missing else "")
            + "status = c.main(); assert 'PySide6' not in sys.modules, 'the check imported Qt'; "
            "sys.exit(status)")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_a_library_the_loader_cannot_find_is_missing():
    assert missing_libraries([FAKE, "libc.so.6"]) == [FAKE]


def test_a_missing_library_is_named_with_the_apt_line_that_installs_it():
    message = check(X11, "linux", WITH_FAKE)
    assert f"{FAKE} (package nnviz-no-such-package)" in message
    line = message.splitlines()[-1].strip()
    assert line == install_line([FAKE], WITH_FAKE)
    assert line == "sudo apt-get install " + " ".join(APT_PACKAGES) + " nnviz-no-such-package"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check applies to Linux alone")
def test_make_runs_the_check_which_exits_1_with_the_apt_line_before_qt_is_imported():
    env = {key: value for key, value in os.environ.items()
           if key not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    result = run_check({**env, "DISPLAY": ":0"}, fake_missing=True)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("nnviz: error: the window cannot open")
    assert FAKE in result.stderr and "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in result.stderr
    # Offscreen needs no system library: nothing is checked, the app goes ahead.
    offscreen = run_check({**env, "DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, fake_missing=True)
    assert offscreen.returncode == 0, offscreen.stderr
    no_display = run_check({key: value for key, value in env.items() if key != "DISPLAY"}, fake_missing=False)
    assert no_display.returncode == 1 and "no display" in no_display.stderr
    # make runs the check, and opens the window only after it (a failed step stops make).
    steps = subprocess.run(["make", "--no-print-directory", "-n", "run"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert [step.rsplit("/", 1)[-1] for step in steps][-2:] == ["python -m nnviz.gui.platform_check", "nnviz"]


@pytest.mark.parametrize("environ", [
    {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"},
    {"QT_QPA_PLATFORM": "offscreen"},
    {"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"},
    {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"},
    {"WAYLAND_DISPLAY": "wayland-0"},
])
def test_nothing_is_checked_where_the_x11_plugin_is_not_used(environ):
    assert check(environ, "linux", WITH_FAKE) is None


@pytest.mark.parametrize("environ", [
    {"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"},
    {"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"},
    {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "x11"},
])
def test_the_libraries_are_checked_wherever_the_x11_plugin_may_be_used(environ):
    assert FAKE in check(environ, "linux", WITH_FAKE)


def test_nothing_is_checked_on_other_systems():
    assert check(X11, "darwin", WITH_FAKE) is None
    assert check({}, "win32", WITH_FAKE) is None


def test_without_a_display_it_says_so():
    assert "no display" in check({}, "linux", WITH_FAKE)
    wayland_only = {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}
    assert "DISPLAY is not set" in check(wayland_only, "linux", WITH_FAKE)


def test_every_package_of_the_apt_line_is_installed_by_ci_and_named_in_the_readme():
    listed = [line.strip() for line in (ROOT / ".ci" / "apt-packages.txt").read_text().splitlines()
              if line.strip() and not line.lstrip().startswith("#")]
    assert listed == ["xvfb", "xdotool", *APT_PACKAGES]
    assert install_line() in (ROOT / "README.md").read_text()
    assert set(LIBRARIES.values()) >= set(APT_PACKAGES)


# Libraries the plugin links to that are not checked: every Debian has them, or
# the packages of the apt line bring them in with the ones that are checked.
NOT_CHECKED = re.compile(r"linux-vdso|ld-linux|lib(c|m|dl|pthread|rt|stdc\+\+|gcc_s|z|zstd|lzma|lz4|bsd|md"
                         r"|cap|gcrypt|gpg-error|systemd|pcre2-8|expat|png16|brotli(dec|common)|Xau|Xdmcp"
                         r"|GLdispatch|GLX)\.so")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's X11 plugin exists on Linux alone")
def test_the_list_covers_what_the_installed_x11_plugin_links_to():
    import importlib.util

    pyside = Path(importlib.util.find_spec("PySide6").submodule_search_locations[0])
    plugin = pyside / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    output = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    linked = {}
    for line in output.splitlines():
        name, _, where = line.strip().partition(" => ")
        linked[Path(name.split()[0]).name] = where
    from_system = {name for name, where in linked.items() if str(pyside) not in where}
    assert "libxcb-icccm.so.4" in from_system
    unknown = sorted(name for name in from_system if name not in LIBRARIES and not NOT_CHECKED.match(name))
    assert unknown == [], "libraries the X11 plugin links to that the check does not know"
