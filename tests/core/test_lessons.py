"""Lesson files: the bundled ones load, bad ones are refused with one line, goals tick on real numbers."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nnviz import cli
from nnviz.core import lessons
from nnviz.core.lessons import Attempt, LessonError
from nnviz.core.setup import ModelSpec, Setup
from nnviz.core.trainer import Trainer, TrainSettings

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = '''title = "T"
text = "Some text."
[[check]]
metric = "epoch"
op = ">="
value = 10
'''


def refused(text: str) -> str:
    with pytest.raises(LessonError) as info:
        lessons.parse(text, "bad.toml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("bad.toml: ")
    return message


# -- the bundled lessons -------------------------------------------------------------------
def test_at_least_ten_bundled_lessons_load_each_with_one_to_three_checks():
    bundled = lessons.bundled()
    assert len(bundled) >= 10
    assert len({lesson.title for lesson in bundled}) == len(bundled)
    for lesson in bundled:
        assert 1 <= len(lesson.checks) <= 3, lesson.key
        assert lesson.key and lesson.text.strip()
        lesson.setup.model.check()
        lesson.setup.settings.check()


def test_lesson_check_accepts_every_bundled_lesson_without_importing_qt():
    paths = [str(p) for p in lessons.bundled_paths()]
    code = ("import sys; from nnviz.cli import main; rc = main(['lesson', 'check', *sys.argv[1:]]); "
            "print('QT' if any(m.startswith('PySide6') or m == 'pyqtgraph' for m in sys.modules) else 'NOQT'); "
            "sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("NOQT")
    assert result.stdout.count(": ok (") == len(paths)


def test_lesson_check_exits_2_with_one_line_naming_the_file_and_key(tmp_path, capsys):
    good = tmp_path / "good.toml"
    good.write_text(MINIMAL)
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL.replace('metric = "epoch"', 'metric = "happiness"'))
    assert cli.main(["lesson", "check", str(good)]) == 0
    capsys.readouterr()
    assert cli.main(["lesson", "check", str(good), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"nnviz: error: {bad}: check[1].metric: 'happiness' is not one of "
                   + ", ".join(lessons.METRICS)]
    assert cli.main(["lesson", "check", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml: file: cannot read it" in capsys.readouterr().err


# -- refusals ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("colour = 'red'\n" + MINIMAL, "bad.toml: colour: unknown key"),
    (MINIMAL + "[setup]\nwidth = 3\n", "bad.toml: setup.width: unknown key"),
    (MINIMAL.replace('"epoch"', '"happiness"'), "bad.toml: check[1].metric: 'happiness' is not one of"),
    (MINIMAL.replace('">="', '"=~"'), "bad.toml: check[1].op: '=~' is not one of <, <=, >, >=, =="),
    (MINIMAL.replace("value = 10", "value = 'ten'"), "bad.toml: check[1].value: must be a number, not a string"),
    (MINIMAL + "[setup]\nlr = 'fast'\n", "bad.toml: setup.lr: must be a number, not a string"),
    (MINIMAL + "[setup]\nlr = 0\n", "bad.toml: setup.lr: 0 must be a number from 1e-08 to 1000"),
    (MINIMAL + "[setup]\nlr = true\n", "bad.toml: setup.lr: must be a number, not true/false"),
    (MINIMAL + "[setup]\nsamples = 2\n", "bad.toml: setup.samples: 2 must be between 4 and 100000"),
    (MINIMAL + "[setup]\nlayers = [100]\n", "bad.toml: setup.layers: each hidden layer has 1 to 64 units"),
    (MINIMAL + "[setup]\nlayers = [1,1,1,1,1,1,1,1,1]\n", "bad.toml: setup.layers: at most 8 hidden layers"),
    (MINIMAL + "[setup]\nactivation = 'swish'\n", "bad.toml: setup.activation: 'swish' is not one of"),
    (MINIMAL + "[setup]\ndataset = 'mnist'\n", "bad.toml: setup.dataset: 'mnist' is not one of"),
    (MINIMAL + "[setup]\nbatch-size = 0\n", "bad.toml: setup.batch-size: 0 must be between 1 and 100000"),
    (MINIMAL + "[setup]\npanels = ['terminal']\n", "bad.toml: setup.panels: 'terminal' is not one of"),
    (MINIMAL + "[setup]\nhide = 'network'\n", "bad.toml: setup.hide: must be a list of names, not a string"),
    (MINIMAL + "[setup]\npoints = [[0, 0, 2]]\n", "bad.toml: setup.points: point 1: the label must be 0 or 1"),
    (MINIMAL + "[setup]\npoints = [[0, 0]]\n", "bad.toml: setup.points: point 1 must be [x1, x2, label]"),
    (MINIMAL + "[setup]\npoints = [[0, 0, 1]]\ndataset = 'xor'\n",
     "bad.toml: setup.points: a lesson has either its own points or a dataset, not both"),
    (MINIMAL + "[setup]\npoints = [[[[0, 0, 1]]]]\n", "bad.toml: file: nested deeper than 4 levels"),
    (MINIMAL.replace("value = 10", "value = 10\nafter_epochs = -1"),
     "bad.toml: check[1].after_epochs: -1 must be between 0 and 100000000"),
    (MINIMAL.replace('"epoch"', '"accuracy"'), "bad.toml: check[1].value: 10 must be a number from 0 to 1"),
    (MINIMAL.replace('"epoch"', '"test_accuracy"').replace("10", "0.9"),
     "bad.toml: check[1].metric: test_accuracy needs a data set with a test split"),
    (MINIMAL.replace("value = 10", "value = 10\nat_epoch = 5"),
     "bad.toml: check[1].at_epoch: only loss and test_loss are kept per epoch"),
    (MINIMAL.replace("value = 10", "value = 10\nreward = 5"), "bad.toml: check[1].reward: unknown key"),
    ('title = "T"\ntext = "x"\n', "bad.toml: check: a lesson needs at least one [[check]]"),
    (MINIMAL.replace('title = "T"\n', ""), "bad.toml: title: missing"),
    (MINIMAL.replace('title = "T"', "title = 3"), "bad.toml: title: must be a string, not a whole number"),
    (MINIMAL + "[[check]]\nmetric = 'loss'\n", "bad.toml: check[2].op: missing"),
    (MINIMAL + MINIMAL.split("\n", 2)[2] * 8, "bad.toml: check: 9 checks is more than the limit of 8"),
    ("title = 'T\n", "bad.toml: TOML: "),
    ("title = 'T'\ntitle = 'U'\n", "bad.toml: TOML: "),
])
def test_malformed_lessons_are_refused_with_the_key_and_the_reason(text, expected):
    assert refused(text).startswith(expected)


def test_a_huge_file_or_a_nesting_bomb_is_refused_before_or_while_parsing(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(MINIMAL + "# " + "x" * lessons.MAX_FILE_BYTES + "\n")
    with pytest.raises(LessonError, match=r"big.toml: file: more than 64 KiB"):
        lessons.load(big)
    assert refused("a = " + "[" * 20_000 + "]" * 20_000 + "\n") in (
        "bad.toml: file: nested deeper than 4 levels",)
    points = ", ".join("[0, 0, 1]" for _ in range(lessons.MAX_POINTS + 1))
    assert refused(MINIMAL + f"[setup]\npoints = [{points}]\n") == (
        "bad.toml: setup.points: 1,001 points is more than the limit of 1,000")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"title = '\xff'\n")
    with pytest.raises(LessonError, match=r"binary.toml: file: not UTF-8 text"):
        lessons.load(binary)


@pytest.mark.parametrize("key, toml_value, flag, text", [
    ("lr", "1e-9", "--lr", "1e-9"),
    ("lr", "2000", "--lr", "2000"),
    ("samples", "3", "--samples", "3"),
    ("noise", "-0.5", "--noise", "-0.5"),
    ("layers", "[65]", "--layers", "65"),
    ("layers", "'4,x'", "--layers", "4,x"),
    ("batch-size", "0", "--batch-size", "0"),
    ("seed", "-1", "--seed", "-1"),
    ("seed", str(2**32), "--seed", str(2**32)),
    ("optimizer", "'rmsprop'", "--optimizer", "rmsprop"),
    ("l2", "11", "--l2", "11"),
])
def test_a_value_the_command_line_refuses_a_lesson_refuses(key, toml_value, flag, text, capsys):
    assert cli.main(["train", "--epochs", "0", "--quiet", f"{flag}={text}"]) == 2
    assert refused(MINIMAL + f"[setup]\n{key} = {toml_value}\n").startswith(f"bad.toml: setup.{key}: ")


@pytest.mark.parametrize("key, toml_value, flag, text", [
    ("lr", "1e-8", "--lr", "1e-8"),
    ("layers", "'8,8'", "--layers", "8,8"),
    ("layers", "'none'", "--layers", "none"),
    ("batch-size", "'full'", "--batch-size", "full"),
    ("seed", str(2**32 - 1), "--seed", str(2**32 - 1)),
    ("l2", "10", "--l2", "10"),
])
def test_a_value_the_command_line_accepts_a_lesson_accepts(key, toml_value, flag, text, capsys):
    assert cli.main(["train", "--epochs", "0", "--quiet", f"{flag}={text}"]) == 0
    lessons.parse(MINIMAL + f"[setup]\n{key} = {toml_value}\n")


def test_the_lowest_learning_rate_is_the_command_lines():
    assert lessons.MIN_LR == cli.MIN_LR


def test_setup_keys_reach_the_specs_as_the_command_line_sets_them():
    lesson = lessons.parse(MINIMAL + "[setup]\ndataset = 'moons'\nsamples = 60\nnoise = 0.3\nlayers = [8, 8]\n"
                           "activation = 'tanh'\nseed = 7\noptimizer = 'adam'\nlr = 0.03\nbatch-size = 16\n"
                           "l2 = 0.001\ntest-split = 0.5\npanels = ['history']\nhide = ['network']\n"
                           "speed = 'fast'\n")
    assert lesson.setup.model == ModelSpec(hidden=(8, 8), activation="tanh", seed=7)
    assert lesson.setup.settings == TrainSettings(lr=0.03, optimizer="adam", batch_size=16, l2=0.001, seed=7)
    assert (lesson.setup.data.name, lesson.setup.data.n, lesson.setup.data.noise) == ("moons", 60, 0.3)
    assert len(lesson.data.X) == 30 and len(lesson.data.X_test) == 30
    assert (lesson.panels, lesson.hide, lesson.speed) == (("history",), ("network",), None)
    own = lessons.parse(MINIMAL + "[setup]\npoints = [[0, 0, 0], [1, 1, 1], [0.5, -2, 1]]\n")
    np.testing.assert_array_equal(own.data.X, [[0, 0], [1, 1], [0.5, -2]])
    np.testing.assert_array_equal(own.data.y.ravel(), [0, 1, 1])
    assert own.setup.data.name == "custom" and own.setup.data.n == 3
    assert lessons.parse(MINIMAL).setup == Setup()  # nothing given: the tutorial's set-up


# -- goals ------------------------------------------------------------------------------------
def snapshot(trainer: Trainer, run: int = 1, first_epoch: int = 0, losses=None, test_losses=None):
    """A snapshot with the fields the goals read, measured on ``trainer`` as the training loop does."""
    data = trainer.data
    with np.errstate(over="ignore", invalid="ignore"):  # a diverged network's loss is not finite
        weights_loss = trainer.network.loss_value(data.X, data.y)
    losses = np.empty(0) if losses is None else losses
    return SimpleNamespace(
        run=run, epoch=trainer.epoch, first_epoch=first_epoch, losses=losses, test_losses=test_losses,
        network=trainer.network, data=data, settings=trainer.settings,
        loss=float(losses[-1]) if len(losses) else weights_loss, weights_loss=weights_loss,
        accuracy=trainer.accuracy(), test_accuracy=trainer.accuracy(test=True) if data.has_test else math.nan)


def train(lesson, settings=None, model=None, data=None):
    setup = lesson.setup
    return Trainer((model or setup.model).build(), data or lesson.data, settings or setup.settings)


def test_a_goal_waits_for_after_epochs_and_stays_ticked():
    lesson = lessons.bundled()[0]  # no hidden layer: loss > 0.2 after 2,000 epochs
    attempt = Attempt(lesson)
    trainer = train(lesson)
    seen = []
    for _ in range(25):
        first = trainer.epoch
        losses = trainer.run(100)
        attempt.observe(snapshot(trainer, first_epoch=first, losses=losses), lesson.setup)
        seen.append((trainer.epoch, list(attempt.ticked)))
    assert all(ticked == [False, False] for epoch, ticked in seen if epoch < 2000)
    assert all(ticked == [True, True] for epoch, ticked in seen if epoch >= 2000)
    # A later snapshot that would not meet it (another set-up's loss) does not untick it.
    solved = Trainer(ModelSpec().build(), lesson.data, TrainSettings(lr=10))
    solved.run(3000)
    assert attempt.observe(snapshot(solved), lesson.setup) == []
    assert attempt.ticked == [True, True] and attempt.complete


def test_a_loss_at_a_given_epoch_is_read_from_the_snapshot_that_carries_it():
    lesson = lessons.bundled()[1]  # the loss of epoch 999 is 0.203644
    attempt = Attempt(lesson)
    trainer = train(lesson)
    losses = trainer.run(990)
    assert attempt.observe(snapshot(trainer, first_epoch=0, losses=losses), lesson.setup) == []
    losses = trainer.run(20)  # epochs 990 to 1009
    assert attempt.observe(snapshot(trainer, first_epoch=990, losses=losses), lesson.setup) == [0]
    # Another learning rate gives another loss at epoch 999: not ticked.
    other = Attempt(lesson)
    fast = train(lesson, settings=TrainSettings(lr=1.5))
    losses = fast.run(1010)
    assert 0 not in other.observe(snapshot(fast, losses=losses), lesson.setup)
    assert not other.ticked[0]


def test_solved_epoch_counts_within_one_run_and_starts_again_with_the_next():
    lesson = next(x for x in lessons.bundled() if any(c.metric == "solved_epoch" for c in x.checks)
                  and x.setup.settings.optimizer == "sgd" and x.setup.settings.lr == 0.1)
    attempt = Attempt(lesson)
    check = next(i for i, c in enumerate(lesson.checks) if c.metric == "solved_epoch")
    slow = train(lesson)
    for _ in range(30):
        slow.run(100)
        attempt.observe(snapshot(slow, run=1), lesson.setup)
    assert not attempt.ticked[check]
    adam = train(lesson, settings=replace(lesson.setup.settings, optimizer="adam"))
    ticked_at = None
    for _ in range(300):
        adam.run(1)
        if attempt.observe(snapshot(adam, run=2), lesson.setup):
            ticked_at = adam.epoch
            break
    assert ticked_at is not None and ticked_at < lesson.checks[check].value
    assert adam.accuracy() == 1


def test_diverged_is_read_from_the_loss_of_the_weights():
    lesson = next(x for x in lessons.bundled() if any(c.metric == "diverged" for c in x.checks))
    attempt = Attempt(lesson)
    trainer = train(lesson, settings=replace(lesson.setup.settings, lr=1.0))
    with pytest.raises(Exception, match="loss became"):
        trainer.run(2000)
    assert 0 in attempt.observe(snapshot(trainer), lesson.setup)
    assert attempt.metrics(snapshot(train(lesson)), lesson.setup)["diverged"] == 0


def test_every_metric_and_key_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Lessons", 1)[1]
    for name in [*lessons.METRICS, *lessons.SETUP_KEYS, *lessons.CHECK_KEYS, *lessons.PANEL_NAMES,
                 *lessons.HIDE_NAMES]:
        assert f"`{name}`" in section, name
    example = section.split("```toml", 1)[1].split("```", 1)[0]
    lesson = lessons.parse(example, "README")
    assert lesson.checks


def test_a_lessons_set_up_is_applied_to_the_session_all_or_nothing():
    from nnviz.core.session import Session
    from nnviz.core.training_loop import Load

    sent = []
    session = Session(sent.append)
    session.begin()
    session.step(3)
    before = (session.setup, session.data, session.run, len(sent))
    broken = replace(Setup(), model=replace(ModelSpec(), hidden=(100,)))
    with pytest.raises(Exception, match="1 to 64 units"):
        session.apply_lesson(broken, lessons.bundled()[0].data, "broken")
    assert (session.setup, session.data, session.run, len(sent)) == before
    lesson = lessons.bundled()[7]  # the spiral, with a test split
    session.apply_lesson(lesson.setup, lesson.data, lesson.title)
    assert session.setup == lesson.setup and session.data is lesson.data
    assert not session.modified and session.path is None
    load = next(c for c in reversed(sent) if isinstance(c, Load))
    assert load.epoch == 0 and load.data is lesson.data and load.network.layers == [2, 4, 1]


# -- classes and feature inputs --------------------------------------------------------------
def _with_setup(setup: str) -> str:
    return MINIMAL.replace('[[check]]', f'[setup]\n{setup}\n[[check]]', 1)


def test_a_lesson_with_feature_inputs_builds_a_network_that_reads_them():
    lesson = lessons.parse(_with_setup('dataset = "circle"\nlayers = []\nfeatures = "x1^2,x2^2"'), "f.toml")
    assert lesson.setup.model.features == ("x1^2", "x2^2")
    assert lesson.setup.model.build().layers == [2, 1]
    assert lesson.setup.model.build().features == ("x1^2", "x2^2")


def test_a_lesson_of_three_classes_gets_three_softmax_outputs_unless_it_names_an_output():
    lesson = lessons.parse(_with_setup('dataset = "spiral"\nclasses = 3'), "k.toml")
    assert lesson.data.classes == 3
    assert (lesson.setup.model.output_activation, lesson.setup.model.loss) == ("softmax", "ce")
    assert lesson.setup.model.build().layers[-1] == 3
    message = refused(_with_setup('dataset = "spiral"\nclasses = 3\noutput-activation = "sigmoid"'))
    assert "3 classes" in message and "softmax" in message


@pytest.mark.parametrize("setup, words", [
    ('features = ["x1", "x3"]', "'x3' is not one of"),
    ('features = []', "features"),
    ('classes = 9', "classes"),
    ('dataset = "xor"\nclasses = 3', "xor"),
])
def test_bad_features_and_classes_are_refused_with_one_line(setup, words):
    assert words in refused(_with_setup(setup))


def test_a_folder_or_a_fifo_is_refused_without_reading_it(tmp_path):
    import os
    fifo = tmp_path / "lesson.toml"
    os.mkfifo(fifo)  # reading it would wait for a writer forever
    for path in (tmp_path, fifo):
        with pytest.raises(LessonError, match="file: not a regular file"):
            lessons.load(path)
