"""The session keeps model and data suited to each other: K classes, regression, features."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from nnviz.core import datasets, edits
from nnviz.core.errors import ConfigError
from nnviz.core.network import Network
from nnviz.core.session import RunStart, Session
from nnviz.core.setup import REGRESSION_LR, DataSpec, ModelSpec, Setup, fit_model
from nnviz.core.training_loop import Load
from nnviz.core.weights_file import Loaded

from tests.core.test_session import rec, session  # noqa: F401 (the fixtures)


def _last_run(rec) -> RunStart:
    return [v for k, v in rec.events if k == "run"][-1]


def test_three_class_data_gives_three_softmax_outputs(session, rec):
    session.change_data_spec(DataSpec("spiral", classes=3))
    model = session.setup.model
    assert (model.output_activation, model.loss, model.classes, model.layers) == ("softmax", "ce", 3, [2, 4, 3])
    run = _last_run(rec)
    assert run.network.outputs == 3 and "3 softmax units" in run.message
    assert isinstance(rec.commands[-1], Load) and rec.commands[-1].network.outputs == 3


def test_a_model_that_cannot_learn_the_data_is_refused_and_nothing_changes(session, rec):
    session.change_data_spec(DataSpec("spiral", classes=3))
    before, commands = session.setup, len(rec.commands)
    with pytest.raises(ConfigError, match="3 classes but a sigmoid output tells 2 apart"):
        session.change_model(replace(session.setup.model, output_activation="sigmoid", loss="mse"))
    with pytest.raises(ConfigError, match="3 classes but a softmax output tells 2 apart"):
        session.change_model(replace(session.setup.model, classes=2))
    assert session.setup == before and len(rec.commands) == commands
    session.change_model(replace(session.setup.model, classes=5))  # outputs to spare are fine
    assert session.shown().network.outputs == 5


def test_regression_and_back_to_the_tutorials_output(session, rec):
    session.change_data_spec(DataSpec("plane"))
    model = session.setup.model
    assert (model.output_activation, model.loss, model.task) == ("linear", "mse", "regression")
    assert session.shown().network.regression and "linear" in _last_run(rec).message
    with pytest.raises(ConfigError, match="real-valued targets"):
        session.change_model(replace(model, output_activation="sigmoid", task="classification"))
    session.change_data_spec(DataSpec("xor"))
    assert session.setup.model == ModelSpec()  # the tutorial's network again
    assert "back to one sigmoid unit" in _last_run(rec).message


def test_a_point_of_a_new_class_refits_the_model(session, rec):
    data = edits.add_point(session.data, (0.5, 0.5), 2)
    session.edit_data(data)
    assert session.setup.model.classes == 3 and session.setup.model.output_activation == "softmax"
    assert session.data.classes == 3 and session.shown().network.outputs == 3
    # Taking the point away keeps the three outputs: edits only ever add them.
    runs = session.run
    session.edit_data(edits.delete_point(session.data, 4))
    assert session.run == runs and session.setup.model.classes == 3


def test_changing_features_resets_the_weights_with_a_new_fan_in(session):
    model = replace(session.setup.model, features=("x1", "x2", "x1*x2"))
    session.change_model(model)
    network = session.shown().network
    assert network.features == ("x1", "x2", "x1*x2") and network.W[0].shape == (3, 4)
    assert np.array_equal(network.params, model.build().params)


def test_a_file_without_points_must_suit_the_current_ones(session):
    net = Network.initialised([2, 3, 1], "tanh", "linear", "mse", task="regression")
    before = session.setup
    with pytest.raises(ConfigError, match="holds no points.*the points have classes"):
        session.open_loaded(Loaded(net, 0, {}, None, None), "plane.npz")
    assert session.setup == before
    values = datasets.generate("plane", 40, seed=1)
    session.open_loaded(Loaded(net, 7, {}, values, None), "plane.npz")
    assert session.setup.model.task == "regression" and session.data.regression


def test_fit_model_says_nothing_when_nothing_changes():
    assert fit_model(ModelSpec(), datasets.xor()) == (ModelSpec(), "")
    two_softmax = replace(ModelSpec(), output_activation="softmax", loss="ce", classes=2)
    assert fit_model(two_softmax, datasets.xor())[1] == ""  # two softmax outputs stay
    setup, message = Setup().fitted(datasets.generate("gaussians", classes=4))
    assert setup.model.classes == 4 and message.startswith("4 classes")


def test_setups_with_the_new_fields_round_trip():
    setup = Setup(replace(ModelSpec(), features=("x1^2", "x2^2"), hidden=()), DataSpec("gaussians", classes=5))
    setup, _ = setup.fitted(setup.data.build())
    again = Setup.from_dict(setup.to_dict())
    assert again == setup and again.model.layers == [2, 5]
    with pytest.raises(ConfigError, match="unknown feature"):
        Setup.from_dict({"model": {"features": ["x9"]}})


def test_regression_data_brings_a_learning_rate_that_does_not_overshoot_its_targets(session, rec):
    # At the tutorial's 1.0 the bumps fit badly (R² near -900 after 2,000 epochs); at 0.1 it fits.
    assert session.setup.settings.lr == 1.0
    session.change_data_spec(DataSpec("bumps"))
    assert session.setup.settings.lr == REGRESSION_LR
    assert f"learning rate {REGRESSION_LR:g}" in _last_run(rec).message
    assert rec.commands[-1].settings.lr == REGRESSION_LR
    # A learning rate the user already lowered is kept, and going back to classes keeps it too.
    session.change_data_spec(DataSpec("xor"))
    session.change_settings(replace(session.setup.settings, lr=0.02))
    session.change_data_spec(DataSpec("plane"))
    assert session.setup.settings.lr == 0.02 and "learning rate" not in _last_run(rec).message


def test_the_command_line_trains_regression_at_a_gentler_rate_unless_told(capsys):
    from nnviz import cli
    assert cli.main(["train", "--dataset", "bumps", "--epochs", "2000", "--quiet"]) == 0
    r2 = float(capsys.readouterr().out.rsplit("R²", 1)[1].strip())
    assert r2 > 0.5
    assert cli.main(["train", "--dataset", "bumps", "--epochs", "2000", "--lr", "1", "--quiet"]) == 0
    assert float(capsys.readouterr().out.rsplit("R²", 1)[1].strip()) < 0
