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


@pytest.mark.parametrize("name", datasets.GENERATORS)
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
    "wrong header": ("a,b,c\n1,2,0\n", "line 1: the header must be x1,x2,label"),
    "missing column": ("x1,x2,label\n0,0,0\n1,1\n", "line 3: expected 3 columns"),
    "not a number": ("x1,x2,label\n0,zero,0\n", "line 2: .* is not three numbers"),
    "nan": ("x1,x2,label\n0,0,0\nnan,1,1\n", "line 3: coordinates must be finite"),
    "inf": ("x1,x2,label\ninf,0,1\n", "line 2: coordinates must be finite"),
    "other label": ("x1,x2,label\n0,0,0\n0,1,2\n", "line 3: label must be 0 or 1, found 2"),
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
