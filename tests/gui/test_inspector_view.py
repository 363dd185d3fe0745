from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.inspector_view import InspectorView, matrix_html


@pytest.fixture
def view(qtbot):
    w = InspectorView()
    qtbot.addWidget(w)
    w.resize(1000, 800)
    w.show()
    yield w
    w.close()
    assert w._check_thread is None or not w._check_thread.isRunning()


def tutorial(epochs: int = 0) -> Trainer:
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0))
    t.run(epochs)
    return t


def test_matrices_equal_the_engines_pass(view):
    t = tutorial(99)  # the weights before epoch 99's update
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    p = view.last_pass
    ref = t.network.passes(t.data.X, t.data.y)
    for name in ("z", "a", "dact", "dz", "dW", "db"):
        for mine, theirs in zip(getattr(p, name), getattr(ref, name)):
            assert np.array_equal(mine, theirs), name
    assert p.loss == ref.loss == pytest.approx(0.2501457364, abs=1e-9)  # the tutorial's epoch-99 loss
    assert "Epoch 99" in view.summary.text()
    # The numbers on screen are the engine's numbers, shape and all.
    layer1_right = view._layer_labels[0][1].text()
    assert "dW1 = Xᵀ @ dz1" in layer1_right and "(2×4)" in layer1_right
    assert f"{ref.dz[0][0, 0]:.2e}" in layer1_right or f"{ref.dz[0][0, 0]:.4f}" in layer1_right


def test_any_depth_gets_one_row_per_layer(view):
    data = datasets.generate("moons", n=40, seed=1)
    net = Network.initialised([2, 5, 3, 4, 1], "tanh", "sigmoid", "bce", init="xavier", seed=3)
    view.set_state(net, data, TrainSettings(), 0)
    view.flush()
    assert len(view._layer_labels) == 4
    assert "dz4 = (a4 − y)/m" in view._layer_labels[3][1].text()
    assert "26 more rows" in view.input_label.text()
    # A smaller network afterwards drops the extra rows.
    t = tutorial()
    view.set_state(t.network, t.data, t.settings, 0)
    view.flush()
    assert len(view._layer_labels) == 2


def test_selecting_a_weight_shows_its_chain_and_update(view, qtbot):
    t = tutorial(500)
    t.set_lr(10.0)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    with qtbot.waitSignal(view.sigWeightSelected) as blocker:
        view._layer_labels[1][0].linkActivated.emit("1,2,0")  # a click on W2[2,0]
    assert blocker.args == [1, 2, 0]
    text = view.weight_label.text()
    grad = t.network.passes(t.data.X, t.data.y).dW[1][2, 0]
    assert "W2[2,0]" in text and "from hidden unit 2 of layer 1 to the output" in text
    assert f"{grad:.2e}" in text
    assert f"{-10 * grad:.2e}" in text or f"{-10 * grad:.4f}" in text
    assert view.picker.currentText() == "W2[2,0]"
    # Picking a bias in the list.
    view._picked(view.picker.findText("b1[0,3]"))
    assert "the bias of hidden unit 3 of layer 1" in view.weight_label.text()
    # Stepping one epoch changes the numbers shown.
    before = view.weight_label.text()
    t.run(1)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    assert view.weight_label.text() != before


def test_gradient_check_button_agrees_to_1e_6(view, qtbot):
    t = tutorial(300)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    view.check_button.click()
    qtbot.waitUntil(lambda: view.last_check is not None and view._check_thread is None, timeout=10_000)
    check = view.last_check
    assert check.max_relative < 1e-6
    assert np.allclose(check.analytic, t.network.gradient(t.data.X, t.data.y), rtol=0, atol=0)
    assert "✓ agree" in view.check_label.text()
    assert view.check_table.rowCount() == 17


def test_hidden_panel_does_no_work_until_shown(qtbot):
    w = InspectorView()
    qtbot.addWidget(w)
    t = tutorial()
    w.set_state(t.network, t.data, t.settings, 0)
    assert w.last_pass is None
    w.show()
    qtbot.waitUntil(lambda: w.last_pass is not None, timeout=2000)


def test_redraws_are_coalesced(view, qtbot):
    t = tutorial()
    calls = []
    original = view.refresh
    view.refresh = lambda state: (calls.append(state.epoch), original(state))
    for epoch in range(50):
        t.run(1)
        view.set_state(t.network.copy(), t.data, t.settings, t.epoch)
    qtbot.waitUntil(lambda: calls and calls[-1] == 50, timeout=2000)
    assert len(calls) < 10


def test_matrix_html_elides_large_matrices():
    text = matrix_html("z1", np.arange(200.0).reshape(20, 10))
    assert "(20×10)" in text and "14 more rows" in text and "…" in text
    assert isinstance(QLabel, type)
