"""The command line: the tutorial's output, exit codes, files, and no Qt."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest

from nnviz import cli
from nnviz.core import weights_file


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_with_no_options_is_the_tutorial(capsys):
    code, out, err = run(capsys, "train")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Epoch    0: Loss = 0.255675"
    assert "Epoch  900: Loss = 0.230979" in lines
    assert "Final loss: 0.203644" in out  # the loss of epoch 999, as the article prints it
    assert "[0 0] -> 0 | 0.3360 | 0" in lines
    assert "[1 1] -> 0 | 0.5746 | 1" in lines
    assert "Accuracy: 75.0%" in lines


def test_two_thousand_epochs_solve_xor(capsys):
    code, out, _ = run(capsys, "train", "--epochs", "2000", "--quiet")
    assert code == 0
    assert out.strip() == "epoch 2000: loss 0.005219, accuracy 100.0%"


BAD = [
    (["train", "--lr", "-1"], "--lr: '-1' must be a number above 0"),
    (["train", "--lr", "fast"], "'fast' is not a number"),
    (["train", "--layers", "0,x"], "hidden sizes are whole numbers"),
    (["train", "--layers", "100"], "1 to 64 units"),
    (["train", "--epochs", "-5"], "between 0 and"),
    (["train", "--batch-size", "0"], "between 1 and"),
    (["train", "--activation", "swish"], "invalid choice: 'swish'"),
    (["train", "--dataset", "blobs"], "unknown data set 'blobs'"),
    (["train", "--dataset", "missing.csv"], "cannot read missing.csv"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["eval", "missing.npz"], "cannot read missing.npz"),
    (["eval"], "the following arguments are required: weights"),
    (["train", "--save", "/no/such/folder/w.npz"], "folder /no/such/folder does not exist"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("nnviz: error: ")
    assert message in err
    assert "Traceback" not in err


def test_bad_csv_names_its_line(capsys, tmp_path):
    path = tmp_path / "pts.csv"
    path.write_text("x1,x2,label\n0,0,0\n1,1,7\n")
    code, _, err = run(capsys, "train", "--dataset", str(path))
    assert code == 2 and "line 3: label must be 0 or 1, found 7" in err


def test_broken_weights_file(capsys, tmp_path):
    path = tmp_path / "w.npz"
    path.write_text("not a zip")
    code, _, err = run(capsys, "eval", str(path))
    assert code == 2 and "is not a weights file" in err


def test_save_then_eval_and_continue(capsys, tmp_path):
    path = tmp_path / "xor.npz"
    code, out, _ = run(capsys, "train", "--save", str(path))
    assert code == 0 and f"Saved weights to {path}" in out
    code, out, _ = run(capsys, "eval", str(path))
    assert code == 0
    assert "layers 2-4-1, sigmoid, mse, epoch 1000" in out
    assert "[1 1] -> 0 | 0.5746 | 1" in out and "Accuracy: 75.0%" in out
    # 1000 more epochs from the file equal 2000 at once.
    code, out, _ = run(capsys, "train", "--weights", str(path), "--save", str(path), "--quiet")
    assert out.strip() == "epoch 2000: loss 0.005219, accuracy 100.0%"
    assert weights_file.load(path).epoch == 2000


def test_weights_and_architecture_flags_conflict(capsys, tmp_path):
    path = tmp_path / "xor.npz"
    run(capsys, "train", "--epochs", "1", "--save", str(path), "--quiet")
    code, _, err = run(capsys, "train", "--weights", str(path), "--layers", "8")
    assert code == 2 and "--layers cannot be combined with --weights" in err


def test_log_csv_has_every_epoch(capsys, tmp_path):
    path = tmp_path / "log.csv"
    assert run(capsys, "train", "--epochs", "250", "--quiet", "--log-csv", str(path))[0] == 0
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss"] and len(rows) == 251
    assert rows[1][0] == "0" and float(rows[1][1]) == pytest.approx(0.2556753002, abs=1e-9)
    assert rows[100] == ["99", rows[100][1]] and float(rows[100][1]) == pytest.approx(0.2501457364, abs=1e-9)


def test_log_csv_has_test_loss_for_a_split(capsys, tmp_path):
    path = tmp_path / "log.csv"
    code, out, _ = run(capsys, "train", "--dataset", "circle", "--epochs", "30", "--log-csv", str(path))
    assert code == 0 and "Test accuracy:" in out
    rows = list(csv.reader(path.read_text().splitlines()))
    assert rows[0] == ["epoch", "loss", "test_loss"] and len(rows) == 31
    assert all(np.isfinite(float(r[2])) for r in rows[1:])


def test_divergence_exits_1_with_the_reason(capsys):
    code, out, err = run(capsys, "train", "--activation", "linear", "--output-activation", "linear", "--lr", "50")
    assert code == 1
    assert out.startswith("Epoch    0: Loss = ")
    assert err.startswith("nnviz: loss became") and "lower the learning rate" in err


def _modules_after(code: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                            capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_core_never_imports_qt():
    modules = _modules_after("import nnviz.core.trainer, nnviz.core.weights_file, nnviz.core.datasets, "
                             "nnviz.core.kernel, nnviz.cli")
    assert not {m for m in modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")}


def test_train_and_eval_runs_load_no_qt(tmp_path):
    path = tmp_path / "w.npz"
    code = (f"from nnviz import cli\n"
            f"assert cli.main(['train', '--epochs', '3', '--quiet', '--save', {str(path)!r}]) == 0\n"
            f"assert cli.main(['eval', {str(path)!r}]) == 0")
    modules = _modules_after(code)
    assert not {m for m in modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")}


def test_python_dash_m_and_console_script_work():
    result = subprocess.run([sys.executable, "-m", "nnviz", "train", "--epochs", "2000", "--quiet"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "accuracy 100.0%" in result.stdout
    result = subprocess.run([sys.executable, "-m", "nnviz", "train", "--lr", "-1"], capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_shipped_examples_load_and_evaluate(capsys):
    import pathlib

    examples = pathlib.Path(__file__).resolve().parents[2] / "resources" / "examples"
    code, out, _ = run(capsys, "eval", str(examples / "xor-2000-epochs.npz"))
    assert code == 0 and "epoch 2000" in out and "Accuracy: 100.0%" in out
    code, out, _ = run(capsys, "train", "--dataset", str(examples / "moons-120.csv"), "--layers", "8,8",
                       "--activation", "tanh", "--optimizer", "adam", "--lr", "0.02", "--epochs", "800", "--quiet")
    assert code == 0
    accuracy = float(out.rsplit("accuracy ", 1)[1].rstrip("%\n"))
    assert accuracy >= 95.0
