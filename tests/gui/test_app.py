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


def test_a_missing_weights_file_exits_2_with_one_line(capsys, tmp_path):
    assert run(weights=str(tmp_path / "missing.npz")) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnviz: error: cannot read ") and "missing.npz" in err and err.count("\n") == 1


def test_an_unknown_data_set_exits_2(capsys):
    assert run(dataset="squares") == 2
    assert "unknown data set 'squares'" in capsys.readouterr().err


def test_a_bad_csv_exits_2(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,3\n")
    assert run(dataset=str(bad)) == 2
    assert "line 2" in capsys.readouterr().err


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
