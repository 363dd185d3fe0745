"""The command line with K classes, regression and feature inputs."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core import datasets, weights_file

from tests.core.test_cli import run


def _confusion(out: str) -> np.ndarray:
    lines = out.splitlines()
    start = lines.index("Confusion matrix (rows: true class, columns: predicted class):") + 2
    rows = []
    for line in lines[start:]:
        if not line.strip():
            break
        rows.append([int(v) for v in line.split()[1:]])
    return np.array(rows)


def test_three_class_spiral_trains_softmax_and_eval_prints_its_confusion(capsys, tmp_path):
    path = tmp_path / "spiral3.npz"
    code, out, err = run(capsys, "train", "--dataset", "spiral", "--classes", "3", "--samples", "150",
                         "--layers", "16", "--activation", "relu", "--lr", "1", "--epochs", "300",
                         "--save", str(path))
    assert code == 0 and err == ""
    assert out.startswith("3 classes: the output is now 3 softmax units with the ce loss")
    assert "Input -> Target | P(0) P(1) P(2) | Predicted" in out
    loaded = weights_file.load(path)
    assert loaded.network.outputs == 3 and loaded.network.loss == "ce" and loaded.meta["version"] == 2
    code, out, err = run(capsys, "eval", str(path))
    assert code == 0 and "layers 2-16-3, relu, ce" in out
    data = loaded.data
    np.testing.assert_array_equal(_confusion(out), loaded.network.confusion(data.X, data.y))
    accuracy = float(out.split("Accuracy: ")[1].split("%")[0])
    assert accuracy == pytest.approx(100 * np.trace(_confusion(out)) / len(data.X), abs=0.05)


def test_binary_eval_prints_a_two_by_two_confusion(capsys, tmp_path):
    path = tmp_path / "xor.npz"
    assert run(capsys, "train", "--epochs", "1000", "--quiet", "--save", str(path))[0] == 0
    code, out, _ = run(capsys, "eval", str(path))
    assert code == 0 and "Accuracy: 75.0%" in out
    matrix = _confusion(out)
    assert matrix.shape == (2, 2) and matrix.sum() == 4 and np.trace(matrix) == 3


def test_regression_prints_mse_and_r_squared(capsys, tmp_path):
    path = tmp_path / "plane.npz"
    code, out, _ = run(capsys, "train", "--dataset", "plane", "--layers", "none", "--lr", "0.05",
                       "--epochs", "400", "--save", str(path))
    assert code == 0 and "Input -> Target | Prediction | Error" in out and "Test R²: " in out
    r2 = float(out.split("R²: ")[1].split()[0])
    assert r2 > 0.95
    code, out, _ = run(capsys, "eval", str(path))
    net, data = weights_file.load(path).network, weights_file.load(path).data
    mse, r2 = net.evaluate(data.X, data.y)
    assert code == 0 and f"MSE: {mse:.6f}  R²: {r2:.4f}" in out and "Confusion" not in out


def test_circle_from_squared_features(capsys, tmp_path):
    path = tmp_path / "circle.npz"
    code, out, _ = run(capsys, "train", "--dataset", "circle", "--features", "x2^2,x1^2", "--layers", "none",
                       "--loss", "bce", "--epochs", "2000", "--quiet", "--save", str(path))
    assert code == 0 and out.strip().endswith("accuracy 100.0%")
    assert weights_file.load(path).network.features == ("x1^2", "x2^2")


def test_continuing_a_file_keeps_its_features_and_accepts_its_own_loss(capsys, tmp_path):
    path = tmp_path / "g.npz"
    assert run(capsys, "train", "--dataset", "gaussians", "--classes", "4", "--features", "x1,x2,x1*x2",
               "--epochs", "50", "--quiet", "--save", str(path))[0] == 0
    code, out, err = run(capsys, "train", "--weights", str(path), "--loss", "ce", "--features", "x1,x2,x1*x2",
                         "--epochs", "50", "--quiet", "--save", str(path))
    assert code == 0 and err == "" and out.startswith("epoch 100:")
    net = weights_file.load(path).network
    assert net.features == ("x1", "x2", "x1*x2") and net.outputs == 4
    code, _, err = run(capsys, "train", "--weights", str(path), "--loss", "mse")
    assert code == 2 and "--loss cannot be combined with --weights" in err and "(its loss is ce)" in err


BAD = [
    (["train", "--features", "x1,x3"], "unknown feature 'x3'"),
    (["train", "--features", "x1,x1"], "'x1' is listed twice"),
    (["train", "--features", ","], "choose at least one input feature"),
    (["train", "--classes", "9", "--dataset", "spiral"], "'9' must be between 2 and 8"),
    (["train", "--classes", "3", "--dataset", "circle"], "circle is binary only: it cannot have 3 classes"),
    (["train", "--classes", "3", "--dataset", "plane"], "plane is a regression data set"),
    (["train", "--dataset", "spiral", "--classes", "3", "--output-activation", "sigmoid"],
     "the points have 3 classes but a sigmoid output tells 2 apart"),
    (["train", "--output-activation", "softmax", "--loss", "mse"], "a softmax output goes with the ce loss"),
    (["train", "--dataset", "plane", "--loss", "bce"], "real-valued targets"),
    (["train", "--dataset", "plane", "--output-activation", "softmax"], "real-valued targets"),
    (["train", "--loss", "hinge"], "invalid choice: 'hinge'"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_values_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and err.startswith("nnviz: error: ")
    assert message in err


def test_classes_are_not_for_csv_files(capsys, tmp_path):
    path = tmp_path / "p.csv"
    datasets.write_csv(path, [[0, 0], [1, 1]], [[0], [2]])
    code, _, err = run(capsys, "train", "--dataset", str(path), "--classes", "3")
    assert code == 2 and "--classes is for the generated data sets" in err
    code, out, err = run(capsys, "train", "--dataset", str(path), "--epochs", "10")
    assert code == 0 and "3 classes: the output is now 3 softmax units" in out
