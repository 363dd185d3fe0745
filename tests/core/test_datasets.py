from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnviz.core import datasets
from nnviz.core.errors import DataError


def test_xor_is_the_tutorials():
    d = datasets.xor()
    assert d.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert d.y.ravel().tolist() == [0, 1, 1, 0]
    assert d.y.shape == (4, 1) and not d.has_test


@pytest.mark.parametrize("name", [g for g in datasets.GENERATORS if g not in datasets.REGRESSION])
def test_generators_are_deterministic_balanced_and_split(name):
    a = datasets.generate(name, n=200, noise=0.1, seed=4, test_fraction=0.25)
    b = datasets.generate(name, n=200, noise=0.1, seed=4, test_fraction=0.25)
    c = datasets.generate(name, n=200, noise=0.1, seed=5, test_fraction=0.25)
    assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)
    assert len(a.X) == 150 and len(a.X_test) == 50
    labels = np.r_[a.y.ravel(), a.y_test.ravel()]
    assert labels.sum() == 100


def test_circle_classes_are_separated_by_radius_without_noise():
    d = datasets.generate("circle", n=300, noise=0.0, seed=1, test_fraction=0)
    r = np.hypot(*d.X.T)
    assert r[d.y.ravel() == 0].max() <= 1.0 < 1.5 <= r[d.y.ravel() == 1].min()


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="blobs"), "unknown data set"),
    (dict(name="spiral", n=2), "sample count"),
    (dict(name="spiral", noise=-1), "noise"),
    (dict(name="moons", test_fraction=1.0), "test fraction"),
])
def test_bad_generator_settings(kwargs, message):
    with pytest.raises(DataError, match=message):
        datasets.generate(**kwargs)


def test_csv_round_trip(tmp_path):
    d = datasets.generate("moons", n=40, seed=3, test_fraction=0)
    path = tmp_path / "points.csv"
    datasets.write_csv(path, d.X, d.y)
    assert path.read_text().splitlines()[0] == "x1,x2,label"
    back = datasets.read_csv(path)
    assert np.array_equal(back.X, d.X) and np.array_equal(back.y, d.y)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.sampled_from([0, 1])),
                min_size=1, max_size=30))
def test_any_written_points_read_back_exactly(rows):
    X = np.array([r[:2] for r in rows])
    y = np.array([r[2] for r in rows], dtype=float)
    text = "x1,x2,label\n" + "".join(f"{a!r},{b!r},{c}\n" for (a, b, c) in rows)
    back = datasets.parse_csv(text)
    assert np.array_equal(back.X, X) and np.array_equal(back.y.ravel(), y)


BAD_CSV = {
    "empty": ("", "is empty"),
    "blank lines": ("\n\n  \n", "is empty"),
    "wrong header": ("a,b,c\n1,2,0\n", "line 1: the header must be x1,x2,label or x1,x2,target"),
    "missing column": ("x1,x2,label\n0,0,0\n1,1\n", "line 3: expected 3 columns"),
    "not a number": ("x1,x2,label\n0,zero,0\n", "line 2: .* is not three numbers"),
    "nan": ("x1,x2,label\n0,0,0\nnan,1,1\n", "line 3: coordinates must be finite"),
    "inf": ("x1,x2,label\ninf,0,1\n", "line 2: coordinates must be finite"),
    "other label": ("x1,x2,label\n0,0,0\n0,1,8\n", "line 3: label must be a whole number from 0 to 7, found 8"),
    "negative label": ("x1,x2,label\n0,0,-1\n", "line 2: label must be a whole number from 0 to 7, found -1"),
    "infinite target": ("x1,x2,target\n0,0,1.5\n0,0,inf\n", "line 3: target must be a finite number"),
    "header only": ("x1,x2,label\n", "has a header but no points"),
}


@pytest.mark.parametrize("text, message", BAD_CSV.values(), ids=BAD_CSV.keys())
def test_bad_csv_names_the_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        datasets.read_csv(path)


def test_huge_csv_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as f:
        f.truncate(datasets.MAX_CSV_BYTES + 1)
    with pytest.raises(DataError, match="MiB; the limit is"):
        datasets.read_csv(path)


def test_too_many_rows_is_refused():
    text = "x1,x2,label\n" + "0,0,0\n" * (datasets.MAX_POINTS + 1)
    with pytest.raises(DataError, match="the limit is"):
        datasets.parse_csv(text)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        datasets.read_csv(tmp_path / "nope.csv")
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(DataError, match="cannot read"):
        datasets.read_csv(path)


MORE_BAD_CSV = {
    "fractional label": ("x1,x2,label\n0,0,0\n0,1,0.5\n",
                         "line 3: label must be a whole number from 0 to 7, found 0.5"),
    "Arabic-Indic digits": ("x1,x2,label\n0,0,0\n\u0664,1,1\n", "line 3: .* is not three numbers"),
    "Arabic-Indic label": ("x1,x2,label\n0,0,\u0661\n", "line 2: .* is not three numbers"),
    "underscore digits": ("x1,x2,label\n1_0,0,0\n", "line 2: .* is not three numbers"),
    "huge field": ("x1,x2,label\n0,0,0\n0,0,0\n\"" + "9" * 140_000 + "\",1,1\n",
                   "line 4: a value is longer than 131,072 characters"),
}


@pytest.mark.parametrize("text, message", MORE_BAD_CSV.values(), ids=MORE_BAD_CSV.keys())
def test_more_bad_csv_names_the_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        datasets.read_csv(path)


def test_a_byte_order_mark_before_the_header_is_accepted(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfx1,x2,label\r\n0.5,-1,1\r\n2,3,0\r\n")
    d = datasets.read_csv(path)
    assert d.X.tolist() == [[0.5, -1.0], [2.0, 3.0]] and d.y.ravel().tolist() == [1.0, 0.0]


def test_size_limit_is_stated_exactly(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:
        f.truncate(int(20.03 * 1024 * 1024))
    with pytest.raises(DataError, match=r"big.csv is 20.03 MiB; the limit is 20 MiB$"):
        datasets.read_csv(path)
    with open(path, "wb") as f:
        f.truncate(datasets.MAX_CSV_BYTES + 1)  # one byte over never reads as "20.00"
    with pytest.raises(DataError, match=r"is 20.01 MiB; the limit is 20 MiB$"):
        datasets.read_csv(path)


def test_ascii_numbers_only():
    assert datasets.parse_number(" -1.5e-3 ") == -0.0015 and datasets.parse_number(".5") == 0.5
    for text in ("\u0664", "1_000", "0x10", "", "1e", "\uff11"):
        with pytest.raises(ValueError):
            datasets.parse_number(text)


def test_a_million_rows_are_refused_before_parsing(tmp_path):
    import tracemalloc

    path = tmp_path / "million.csv"
    path.write_bytes(b"x1,x2,label\n" + b"0.25,0.5,1\n" * 1_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match=r"million.csv has 1,000,001 lines; the limit is 100,000 points"):
            datasets.read_csv(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3 * path.stat().st_size  # the bytes read, not a parsed copy of every row


def test_blank_lines_do_not_count_towards_the_row_limit(tmp_path):
    path = tmp_path / "airy.csv"
    path.write_text("x1,x2,label\n\n" + "0,0,0\n\n1,1,1\n\n" * (datasets.MAX_POINTS // 2))
    assert len(datasets.read_csv(path).X) == datasets.MAX_POINTS


@pytest.mark.parametrize("name", datasets.MULTICLASS)
@pytest.mark.parametrize("classes", [2, 3, 5, 8])
def test_multiclass_generators_have_balanced_classes(name, classes):
    d = datasets.generate(name, n=203, noise=0.1, seed=2, test_fraction=0.2, classes=classes)
    labels = np.r_[d.y.ravel(), d.y_test.ravel()]
    counts = np.bincount(labels.astype(int))
    assert len(counts) == classes == d.classes and counts.max() - counts.min() <= 1
    assert d.task == "classification" and len(d.X) + len(d.X_test) == 203


def test_two_classes_are_the_binary_sets_to_the_bit():
    for name in datasets.MULTICLASS:
        a = datasets.generate(name, n=101, seed=3)
        b = datasets.generate(name, n=101, seed=3, classes=2)
        assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)


def test_spiral_arms_turn_apart():
    # Without noise each arm is a curve; at the same t the K arms are 2 pi / K apart.
    d = datasets.generate("spiral", n=300, noise=0.0, seed=0, test_fraction=0, classes=3)
    arms = [d.X[d.y.ravel() == k] for k in range(3)]
    last = [arm[np.argmax(np.hypot(*arm.T))] for arm in arms]  # the outer end of each arm: t = 1
    angles = np.sort(np.mod(np.arctan2([p[1] for p in last], [p[0] for p in last]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 3)


@pytest.mark.parametrize("name", ["xor", "circle", "moons", "plane"])
def test_binary_and_regression_sets_refuse_classes(name):
    with pytest.raises(DataError, match=f"{name} is .*cannot have 3 classes"):
        datasets.generate(name, classes=3)
    with pytest.raises(DataError, match="spiral takes 2 to 8 classes, got 9"):
        datasets.generate("spiral", classes=9)


def test_regression_generators():
    plane = datasets.generate("plane", n=400, noise=0.0, seed=1, test_fraction=0.25)
    assert plane.task == "regression" and plane.regression and plane.classes == 0
    fitted, *_ = np.linalg.lstsq(np.c_[plane.X, np.ones(len(plane.X))], plane.y, rcond=None)
    np.testing.assert_allclose(fitted.ravel(), [0.8, -0.5, 0.3], atol=1e-12)
    bumps = datasets.generate("bumps", n=400, noise=0.05, seed=1)
    assert bumps.regression and bumps.y.min() < -0.5 and bumps.y.max() > 0.5
    again = datasets.generate("bumps", n=400, noise=0.05, seed=1)
    assert np.array_equal(bumps.y, again.y)


def test_regression_csv_round_trip(tmp_path):
    d = datasets.generate("bumps", n=40, seed=3, test_fraction=0)
    path = tmp_path / "values.csv"
    datasets.write_csv(path, d.X, d.y, task=d.task)
    assert path.read_text().splitlines()[0] == "x1,x2,target"
    back = datasets.read_csv(path)
    assert back.task == "regression" and np.array_equal(back.y, d.y) and np.array_equal(back.X, d.X)


def test_class_labels_from_csv():
    d = datasets.parse_csv("x1,x2,label\n0,0,0\n1,1,4\n2,2,1\n")
    assert d.task == "classification" and d.classes == 5
    assert datasets.parse_csv("x1,x2,label\n0,0,0\n1,1,0\n").classes == 2
    with pytest.raises(DataError, match="labels must be 0, 1 or 2 for 3 classes, found 4"):
        datasets.check_labels(d.y, 3)
