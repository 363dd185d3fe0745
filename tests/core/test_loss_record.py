"""The bounded loss record: exact early epochs, exact envelopes of later ones, a fixed memory cap."""

from __future__ import annotations

import numpy as np
import pytest

from nnviz.core.history import LossRecord


def feed(record, train, test=None, first=0, chunk=37):
    for s in range(0, len(train), chunk):
        record.add(first + s, train[s:s + chunk], None if test is None else test[s:s + chunk])


def check_rows_against(record, train, test, first=0):
    """Every row's min, max and last equal those of the epochs it covers."""
    r = record.rows()
    assert np.all(r.first_epoch <= r.epoch) and np.all(r.first_epoch[1:] > r.epoch[:-1])
    for f, e, lo, hi, last, tlo, thi, tlast in zip(r.first_epoch, r.epoch, r.loss_min, r.loss_max, r.loss,
                                                   r.test_loss_min, r.test_loss_max, r.test_loss):
        span = slice(f - first, e - first + 1)
        assert (lo, hi, last) == (train[span].min(), train[span].max(), train[e - first])
        assert (tlo, thi, tlast) == (test[span].min(), test[span].max(), test[e - first])
    return r


def test_every_epoch_is_exact_until_the_buckets_must_merge():
    record = LossRecord(exact_epochs=50, max_buckets=8)
    losses = np.linspace(1, 0.1, 58)
    feed(record, losses)
    assert not record.merged
    np.testing.assert_array_equal(record.train, losses)
    assert np.isnan(record.test).all() and not record.has_test
    assert record.to_csv().splitlines()[:2] == ["epoch,loss", f"0,{float(losses[0])!r}"]


def test_buckets_keep_the_exact_min_max_and_last_of_their_epochs():
    rng = np.random.default_rng(3)
    train, test = rng.random(10_000), rng.random(10_000)
    record = LossRecord(exact_epochs=100, max_buckets=16)
    feed(record, train, test, first=500)
    assert record.merged and record.bucket_width == 1024  # 9,900 later epochs in at most 16 buckets
    r = check_rows_against(record, train, test, first=500)
    np.testing.assert_array_equal(r.epoch[:100], np.arange(500, 600))  # the first epochs stay exact
    assert r.epoch[-1] == 10_499 and record.last_loss == train[-1]
    # The envelope of all rows is the envelope of the run.
    assert r.loss_min.min() == train.min() and r.loss_max.max() == train.max()
    with pytest.raises(ValueError, match="no longer holds every epoch"):
        record.train


def test_memory_is_fixed_however_long_the_run():
    record = LossRecord()
    cap = record.nbytes
    assert cap <= 3 * 1024 * 1024
    chunk = np.linspace(1, 0.5, 100_000)
    for i in range(50):  # five million epochs
        record.add(i * 100_000, chunk, chunk)
    assert record.nbytes == cap and record.end_epoch == 5_000_000
    rows = record.rows()
    assert len(rows.epoch) <= record.exact_epochs + record.max_buckets
    assert rows.loss_min.min() == 0.5 and rows.loss_max.max() == 1.0


def test_truncate_inside_the_exact_part_is_exact():
    record = LossRecord(exact_epochs=100, max_buckets=4)
    losses = np.arange(1000, dtype=float)
    feed(record, losses)
    record.truncate(59)
    assert record.end_epoch == 60 and not record.merged
    np.testing.assert_array_equal(record.train, losses[:60])
    record.add(60, [7.0, 8.0])
    np.testing.assert_array_equal(record.train[-3:], [59.0, 7.0, 8.0])


def test_truncate_inside_a_bucket_drops_that_bucket_whole():
    rng = np.random.default_rng(5)
    train = rng.random(2000)
    record = LossRecord(exact_epochs=100, max_buckets=8)
    feed(record, train, train)
    width = record.bucket_width  # 256: buckets start at epochs 100, 356, 612, ...
    record.truncate(700)
    assert record.end_epoch == 701
    r = check_rows_against(record, train, train)
    assert r.epoch[-1] == 100 + 2 * width - 1  # the bucket holding 612..867 went: its max may be later
    # Training resumes at 701 with other losses; the rows stay true to what was added.
    resumed = np.r_[train[:701], np.full(300, 0.25)]
    record.add(701, resumed[701:], resumed[701:])
    r = record.rows()
    assert r.first_epoch[-2] == 701 and r.loss_max[-2] == 0.25 and r.epoch[-1] == 1000


def test_losses_must_continue_the_record():
    record = LossRecord()
    record.add(10, [0.5, 0.4])
    with pytest.raises(ValueError, match="epoch 20 cannot follow epoch 11"):
        record.add(20, [0.3])
    record.truncate(5)  # before the first epoch: nothing left
    assert record.empty and record.end_epoch == 6
    record.add(3, [0.9])  # an empty record starts anywhere
    assert record.first_epoch == 3 and record.last_loss == 0.9


def test_series_draws_a_bounded_envelope_ending_at_the_last_loss():
    rng = np.random.default_rng(7)
    train = np.geomspace(1, 1e-3, 400_000) * (1 + 0.2 * rng.random(400_000))
    record = LossRecord(exact_epochs=10_000, max_buckets=1024)
    feed(record, train, chunk=5000)
    x, y = record.series("train", 0, 400_000, max_points=1000)
    assert len(x) <= 1100
    assert y.max() == train.max() and y.min() == train.min()
    assert (x[-1], y[-1]) == (399_999, train[-1])
    x, y = record.series("train", 200, 260)  # zoomed in on the exact part: every epoch
    np.testing.assert_array_equal(x, np.arange(200, 261))
    np.testing.assert_array_equal(y, train[200:261])
    _, test = record.series("test", 0, 400_000)
    assert np.isnan(test).all()


def test_merged_csv_says_so_and_lists_the_buckets():
    record = LossRecord(exact_epochs=4, max_buckets=2)
    feed(record, np.array([9.0, 8, 7, 6, 5, 1, 3, 2, 4, 0.5]), chunk=3)
    lines = record.to_csv().splitlines()
    assert lines[0].startswith("# Epochs 0 to 3: one row each. Later epochs are merged into rows of up to 4")
    assert lines[1] == "first_epoch,epoch,loss,loss_min,loss_max"
    assert lines[2] == "0,0,9.0,9.0,9.0"
    assert lines[6:] == ["4,7,2.0,1.0,5.0", "8,9,0.5,0.5,4.0"]
