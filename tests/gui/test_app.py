"""The entry point ``nnviz.gui.app.run`` and the command line's ``gui`` branch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from nnviz.core import datasets, weights_file
from nnviz.core.network import Network
from nnviz.gui.app import run


# Started from a desktop launcher, a refused argument must still be seen: the window opens on
# its usual set-up and says what was wrong in an error dialog.  This script answers the dialog
# as a user would and reports what it said and what the window showed behind it.
DIALOG_WATCHER = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from nnviz.gui.app import run

app = QApplication(sys.argv[:1])

def look():
    box = QApplication.activeModalWidget()
    if not isinstance(box, QMessageBox):
        QTimer.singleShot(50, look)
        return
    window = box.parentWidget()
    print("dialog:", box.windowTitle(), "|", " ".join(box.text().split()), flush=True)
    print("window:", window.isVisible(), window.setup.data.name, len(window.data.X), window.path, flush=True)
    box.accept()

QTimer.singleShot(50, look)
sys.exit(run(weights=sys.argv[1] or None, dataset=sys.argv[2] or None, quit_after=3))
"""


def _said(stderr: str) -> list[str]:
    """What nnviz wrote to stderr, without the offscreen platform's own notices."""
    return [line for line in stderr.splitlines() if "This plugin does not support" not in line]


def _run_watched(tmp_path, weights="", dataset=""):
    script = tmp_path / "watch.py"
    script.write_text(DIALOG_WATCHER)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               # This checkout's nnviz, not an installed one.
               PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, str(script), weights, dataset], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def test_a_missing_weights_file_opens_the_window_on_its_defaults_with_an_error_dialog(tmp_path):
    result = _run_watched(tmp_path, weights=str(tmp_path / "missing.npz"))
    dialog, window = result.stdout.splitlines()
    assert dialog.startswith("dialog: ") and "cannot read " in dialog and "missing.npz" in dialog
    assert window == "window: True xor 4 None"  # the tutorial's set-up, no file open
    # A terminal still gets the one line, and a script the status of a refused argument.
    said = _said(result.stderr)
    assert len(said) == 1 and said[0].startswith("nnviz: error: cannot read ")
    assert result.returncode == 2


def test_an_unknown_data_set_opens_the_window_with_an_error_dialog(tmp_path):
    result = _run_watched(tmp_path, dataset="squares")
    assert "unknown data set 'squares'" in result.stdout.splitlines()[0]
    assert result.stdout.splitlines()[1] == "window: True xor 4 None"
    assert result.returncode == 2


def test_a_bad_csv_keeps_the_good_weights_file_given_with_it(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,two,0\n")
    good = tmp_path / "good.npz"
    moons = datasets.generate("moons", 40, 0.1, 1, 0.0)
    weights_file.save(good, Network.initialised([2, 3, 1], seed=5), epoch=77, data=moons)
    result = _run_watched(tmp_path, weights=str(good), dataset=str(bad))
    dialog, window = result.stdout.splitlines()
    assert "bad.csv" in dialog and "line 2" in dialog
    assert window == f"window: True custom 40 {good}"  # the weights file and its points were opened
    assert result.returncode == 2


def test_a_refused_argument_with_quit_after_still_quits_with_the_dialog_open(tmp_path):
    shot = tmp_path / "window.png"
    result = _run_cli(tmp_path, str(tmp_path / "missing.npz"), "--quit-after", "1", "--screenshot", str(shot))
    assert result.returncode == 2
    said = _said(result.stderr)
    assert len(said) == 1 and said[0].startswith("nnviz: error: cannot read ")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"  # the window was there


def _run_cli(tmp_path, *args, timeout=60):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run([sys.executable, "-m", "nnviz", "gui", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, check=False)


def test_scripted_run_trains_saves_a_screenshot_and_exits_0(tmp_path):
    shot = tmp_path / "window.png"
    result = _run_cli(tmp_path, "--dataset", "moons", "--autostart", "--quit-after", "2",
                      "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "QThread" not in result.stderr and "Traceback" not in result.stderr


def test_scripted_run_opens_a_weights_file(tmp_path):
    path = tmp_path / "w.npz"
    weights_file.save(path, Network.initialised([2, 3, 1], seed=5), epoch=77, data=datasets.xor())
    shot = tmp_path / "w.png"
    result = _run_cli(tmp_path, str(path), "--quit-after", "1", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    assert shot.exists()
    # The file is untouched by opening it.
    np.testing.assert_array_equal(weights_file.load(path).network.params,
                                  Network.initialised([2, 3, 1], seed=5).params)
    assert Path(tmp_path / "config" / "nnviz" / "nnviz.conf").exists()  # settings were remembered
