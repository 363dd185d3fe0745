"""Can the window open here?  Checked before Qt is imported, since importing Qt is what aborts.

On Linux the PySide6 wheels open windows through Qt's xcb platform plugin (X11),
which loads system libraries the wheels do not bundle.  When one is missing, Qt
prints a message that blames ``libxcb-cursor0`` whatever is missing, and the
process aborts.  This module tries to load each of those libraries the way Qt's
plugin would, and names what is missing with the one ``apt-get`` line that
installs it all.  ``make run`` runs it first::

    python -m nnviz.gui.platform_check    # exit 0: go ahead; exit 1: the reason is on stderr

Nothing is checked where none of this applies: other systems, or a platform
other than xcb (``QT_QPA_PLATFORM=offscreen`` needs no system library at all).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable, Mapping

# The Debian and Ubuntu packages the window needs, as one apt-get line.  They
# bring in every library below.
APT_PACKAGES = (
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-randr0", "libxcb-shape0",
    "libxcb-shm0", "libxcb-sync1", "libxcb-xfixes0", "libx11-xcb1", "libxkbcommon-x11-0",
    "libegl1", "libgl1", "libfontconfig1", "libdbus-1-3", "libglib2.0-0",
)

# Every library the xcb plugin and the Qt libraries under it load from the
# system, with the package that has it (tests/test_platform_check.py compares
# this with what the installed plugin links to).  Libraries that every Debian
# has (libc, libstdc++, zlib...) are left out.
LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
}


def missing_libraries(libraries: Iterable[str]) -> list[str]:
    """The libraries of ``libraries`` (file names such as ``libGL.so.1``) the dynamic loader cannot load.

    Each one is really loaded, so the loader's own search (``LD_LIBRARY_PATH``,
    its cache, the system folders) and the library's own dependencies count,
    exactly as when Qt loads its plugin.  Call this in a process that is about
    to exit or to start Qt anyway: a library loaded here stays loaded.
    """
    missing = []
    for name in libraries:
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    return missing


def install_line(missing: Iterable[str] = (), libraries: Mapping[str, str] = LIBRARIES,
                 also: Iterable[str] = ()) -> str:
    """The apt-get line that installs the packages ``also``, what the window needs, and the packages of
    the libraries ``missing``."""
    packages = [*also, *APT_PACKAGES]
    for name in missing:
        package = libraries.get(name)
        if package and package not in packages:
            packages.append(package)
    return "sudo apt-get install " + " ".join(packages)


def _platform_names(environ: Mapping[str, str]) -> list[str]:
    # QT_QPA_PLATFORM is "name" or "name:options", and may list fallbacks: "wayland;xcb".
    value = environ.get("QT_QPA_PLATFORM", "")
    return [part.split(":")[0].strip() for part in value.split(";") if part.strip()]


def check(environ: Mapping[str, str] | None = None, system: str | None = None,
          libraries: Mapping[str, str] = LIBRARIES) -> str | None:
    """Why the window cannot open here, in words for the user, or None when nothing stands in the way.

    ``libraries`` maps each library file name the xcb plugin needs to its Debian package.
    """
    environ = os.environ if environ is None else environ
    system = sys.platform if system is None else system
    if not system.startswith("linux"):
        return None
    names = _platform_names(environ)
    if names and "xcb" not in names:
        return None  # offscreen, wayland, vnc...: not the X11 plugin
    display, wayland = environ.get("DISPLAY"), environ.get("WAYLAND_DISPLAY")
    if not names and wayland and (environ.get("XDG_SESSION_TYPE") == "wayland" or not display):
        return None  # Qt opens the window through Wayland, not X11
    if not display:
        return ("nnviz: error: there is no display to open the window on (DISPLAY is not set"
                + ("" if wayland else ", nor WAYLAND_DISPLAY") + ").\n"
                "Start nnviz from a desktop session, or use 'nnviz train' in a terminal.")
    missing = missing_libraries(libraries)
    if not missing:
        return None
    lines = ["nnviz: error: the window cannot open: Qt's X11 plugin needs system libraries that are missing:"]
    lines += [f"  {name} (package {libraries[name]})" for name in missing]
    lines += ["On Debian or Ubuntu, install them with:", "  " + install_line(missing, libraries)]
    return "\n".join(lines)


def main() -> int:
    problem = check()
    if problem is None:
        return 0
    print(problem, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
