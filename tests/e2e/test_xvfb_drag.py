"""End to end: the real window in a real X server, a data point dragged with real input events.

Needs ``Xvfb``, ``xdotool`` and the system libraries of Qt's X11 plugin (the
Debian packages in .ci/apt-packages.txt, which .ci/run installs).  Where any of
them is missing the test is skipped with the list of what is missing and the
apt-get line, except in CI (``CI`` set), where it fails: CI installs them all.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nnviz.gui import platform_check

pytestmark = pytest.mark.xvfb
DRIVER = Path(__file__).with_name("drive_window.py")
PROGRAMS = {"Xvfb": "xvfb", "xdotool": "xdotool"}  # program: its Debian package


def wait_for(path: Path, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"the window exited early with status {proc.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {path.name}")
        time.sleep(0.05)


@pytest.fixture
def display():
    missing = [program for program in PROGRAMS if shutil.which(program) is None]
    # Checked in a process of its own: the check loads each library, and they stay loaded.
    missing += subprocess.run(
        [sys.executable, "-c", "from nnviz.gui import platform_check as c; "
         "print(*c.missing_libraries(c.LIBRARIES), sep='\\n')"],
        capture_output=True, text=True, check=True, timeout=30).stdout.split()
    if missing:
        line = platform_check.install_line(missing, also=PROGRAMS.values())
        reason = f"needs {', '.join(missing)}; on Debian or Ubuntu: {line}"
        if os.environ.get("CI"):
            pytest.fail(f"CI installs everything this test needs (.ci/run), yet it {reason}")
        pytest.skip(reason)
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1400x900x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        # Xvfb writes its display number once it accepts clients.
        # Read up to the newline before closing our end: Xvfb may write the
        # number and the newline separately, and if the pipe is closed between
        # the two it dies with "Cannot write display number" (seen under load).
        text, deadline = b"", time.monotonic() + 20
        while not text.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 64) if ready else b""
            if not chunk:
                break
            text += chunk
        os.close(read_fd)
        number = text.decode().strip() if text.endswith(b"\n") else ""
        if not number:
            pytest.fail("Xvfb did not start within 20 s")
        yield f":{number}"
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=10)


def xdotool(env, *args) -> None:
    subprocess.run(["xdotool", *map(str, args)], env=env, check=True, timeout=10)


def test_dragging_a_point_with_real_input_moves_it_while_training(display, tmp_path):
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", XDG_CONFIG_HOME=str(tmp_path))
    with open(tmp_path / "window.log", "w") as log:
        app = subprocess.Popen([sys.executable, str(DRIVER), str(tmp_path)], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        wait_for(tmp_path / "ready.json", 30, app)
        where = json.loads((tmp_path / "ready.json").read_text())
        (x0, y0), (x1, y1) = where["start"], where["end"]
        xdotool(env, "mousemove", x0, y0)
        time.sleep(0.2)
        xdotool(env, "mousedown", 1)
        for i in range(1, 21):  # a slow, real drag: pyqtgraph must see a drag, not a click
            t = i / 20
            xdotool(env, "mousemove", round(x0 + (x1 - x0) * t), round(y0 + (y1 - y0) * t))
            time.sleep(0.03)
        xdotool(env, "mouseup", 1)
        time.sleep(0.5)
        (tmp_path / "done").touch()
        wait_for(tmp_path / "result.json", 20, app)
        assert app.wait(timeout=20) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    result = json.loads((tmp_path / "result.json").read_text())
    output = (tmp_path / "window.log").read_text()
    assert "QThread" not in output and "Traceback" not in output, output
    # The worker trains on the moved point (within a couple of pixels), and only that point moved.
    assert result["X"][3] == pytest.approx([0.5, 0.25], abs=0.03)
    assert result["X"][:3] == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    assert result["window_X"] == result["X"]
    assert result["epoch"] > 0
