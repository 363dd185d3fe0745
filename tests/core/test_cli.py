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
    assert out.strip() == "epoch 2000: final loss 0.005219, accuracy 100.0%"


def test_train_and_eval_say_which_loss_they_print(capsys, tmp_path):
    path = tmp_path / "xor.npz"
    code, out, _ = run(capsys, "train", "--epochs", "2000", "--save", str(path))
    assert code == 0
    assert ("Final loss: 0.005219 (the last epoch's loss, measured before its update, "
            "as the article prints it)") in out
    assert "Loss of the trained weights: 0.005210 (after that update; nnviz eval shows this one)" in out
    code, out, _ = run(capsys, "eval", str(path))
    assert code == 0
    assert ('Loss: 0.005210 (of these saved weights, after 2000 epochs; nnviz train\'s "Final loss" '
            "is measured one update earlier)") in out


def test_huge_losses_print_in_scientific_notation(capsys):
    code, out, err = run(capsys, "train", "--l1", "10", "--l2", "10")
    assert code == 1 and "loss became infinite" in err
    assert "Epoch  100: Loss = 1.058531e+193" in out.splitlines()
    assert max(len(line) for line in out.splitlines()) < 60
    assert cli.loss_text(0.203644) == "0.203644" and cli.loss_text(2.5e-7) == "2.500000e-07"


BAD = [
    (["train", "--lr", "-1"], "--lr: '-1' must be a number from 1e-08 to 1000"),
    (["train", "--lr", "1e-320"], "--lr: '1e-320' must be a number from 1e-08 to 1000"),
    (["train", "--lr", "nan"], "'nan' must be a number from 1e-08"),
    (["train", "--lr", "\u0661"], "'\u0661' is not a number"),
    (["train", "--layers", "\u0664"], "hidden sizes are whole numbers"),
    (["train", "--epochs", "\u0665"], "is not a whole number"),
    (["train", "--epochs", "1_000"], "'1_000' is not a whole number"),
    (["train", "--noise", "\u0660.\u0661"], "is not a number"),
    (["gui", "--quit-after", "1e308"], "'1e308' must be a number above 0 and at most 86400"),
    (["gui", "--quit-after", "inf"], "must be a number above 0 and at most 86400"),
    (["gui", "--quit-after", "-1"], "must be a number above 0 and at most 86400"),
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
    path.write_text("x1,x2,label\n0,0,0\n1,1,9\n")
    code, _, err = run(capsys, "train", "--dataset", str(path))
    assert code == 2 and "line 3: label must be a whole number from 0 to 7, found 9" in err


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
    assert out.strip() == "epoch 2000: final loss 0.005219, accuracy 100.0%"
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
    assert err.startswith("nnviz: error: loss became") and "lower the learning rate" in err


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


def test_log_csv_streams_every_epoch_beyond_what_memory_keeps(capsys, tmp_path):
    import tracemalloc

    peaks = {}
    for epochs in (10_000, 110_000):
        path = tmp_path / f"log{epochs}.csv"
        tracemalloc.start()
        try:
            assert run(capsys, "train", "--epochs", str(epochs), "--quiet", "--log-csv", str(path))[0] == 0
            peaks[epochs] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    with open(tmp_path / "log110000.csv") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 110_001 and [r[0] for r in rows[-2:]] == ["109998", "109999"]
    assert float(rows[1][1]) == pytest.approx(0.2556753002, abs=1e-9)
    # 100,000 more epochs, over 2 MB more of CSV text, and no more memory than
    # the bounded loss record's fixed share (the log is not held in memory).
    assert peaks[110_000] - peaks[10_000] < 1_000_000
    assert (tmp_path / "log110000.csv").stat().st_size > 2_000_000


def test_divergence_keeps_the_log_and_leaves_the_old_weights(capsys, tmp_path):
    save, log = tmp_path / "w.npz", tmp_path / "log.csv"
    save.write_bytes(b"earlier weights")
    code, _, _ = run(capsys, "train", "--activation", "linear", "--output-activation", "linear", "--lr", "50",
                     "--save", str(save), "--log-csv", str(log))
    assert code == 1
    assert save.read_bytes() == b"earlier weights"
    assert log.read_text().splitlines()[0] == "epoch,loss" and len(log.read_text().splitlines()) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "w.npz"]


def _refused(capsys, *argv):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("nnviz: error: ")
    return err


def test_save_onto_a_folder_is_refused_before_training(capsys, tmp_path):
    folder = tmp_path / "w.npz"
    folder.mkdir()
    err = _refused(capsys, "train", "--save", str(folder))
    assert f"cannot write {folder}: it is a folder, not a regular file" in err
    assert folder.is_dir() and list(folder.iterdir()) == []
    err = _refused(capsys, "train", "--log-csv", str(tmp_path))
    assert "it is a folder" in err


def test_log_onto_a_fifo_is_refused_and_the_fifo_kept(capsys, tmp_path):
    import os
    import stat

    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)
    err = _refused(capsys, "train", "--log-csv", str(fifo))
    assert "it is a FIFO (named pipe), not a regular file" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_save_through_a_symlink_replaces_its_target(capsys, tmp_path):
    target = tmp_path / "real.npz"
    target.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    assert run(capsys, "train", "--epochs", "5", "--quiet", "--save", str(link))[0] == 0
    assert link.is_symlink() and weights_file.load(target).epoch == 5


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="needs /dev/full")
def test_log_onto_a_device_is_refused_and_the_device_kept(capsys):
    import os
    import stat

    before = os.lstat("/dev/full")
    err = _refused(capsys, "train", "--epochs", "5", "--log-csv", "/dev/full")
    assert "cannot write /dev/full: it is a device, not a regular file" in err
    after = os.lstat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="needs Linux /proc")
def test_save_into_proc_is_one_line(capsys):
    err = _refused(capsys, "train", "--epochs", "5", "--save", "/proc/x.npz")
    assert err.startswith("nnviz: error: cannot write /proc/x.npz: ")


def test_save_and_log_on_one_file_is_refused(capsys, tmp_path):
    path = tmp_path / "both"
    err = _refused(capsys, "train", "--save", str(path), "--log-csv", str(path))
    assert "--save and --log-csv name the same file" in err
    assert not path.exists()


def test_gui_refuses_a_bad_quit_after_before_qt_loads():
    code = ("import sys\nfrom nnviz import cli\nstatus = cli.main(['gui', '--quit-after', '1e308'])\n"
            "qt = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]\n"
            "print(status, len(qt))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["2", "0"]
    assert result.stderr == ("nnviz: error: argument --quit-after: '1e308' must be a number above 0 "
                             "and at most 86400\n")


def test_gui_reports_a_bad_weights_file_in_the_common_format(tmp_path):
    path = tmp_path / "w.npz"
    path.write_text("not a zip")
    # The window opens anyway (to show the error in a dialog); --quit-after closes it.
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nnviz", "gui", str(path), "--quit-after", "0.5"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    said = [line for line in result.stderr.splitlines() if "This plugin does not support" not in line]
    assert len(said) == 1 and said[0].startswith("nnviz: error: ") and "w.npz" in said[0]


def test_output_cut_short_by_a_pipe_ends_quietly():
    # `nnviz train | head -3`: the reader goes away while nnviz still prints.
    done = subprocess.run(f"{sys.executable} -m nnviz train | head -3", shell=True, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.startswith("Epoch    0: Loss = 0.255675")
    assert done.stderr == ""
