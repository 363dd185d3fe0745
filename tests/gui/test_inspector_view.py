from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from nnviz.core import datasets
from nnviz.core.inspect import flat_index
from nnviz.core.kernel import Kernel
from nnviz.core.network import Network
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui.inspector_view import InspectorView, addends, matrix_html, significant


@pytest.fixture
def view(qtbot):
    w = InspectorView()
    qtbot.addWidget(w)
    w.resize(1000, 800)
    w.show()
    yield w
    w.close()
    assert w._check_job is None or not w._check_job.running


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
    assert "W2[2,0]" in text and "the weight from h1.3 to ŷ" in text
    assert f"{grad:.2e}" in text
    assert f"next update <b>{significant(-10 * grad, 3)}</b>" in text
    assert view.picker.currentText() == "W2[2,0] (h1.3 → ŷ)"
    # Picking a bias in the list.
    view._picked(view.picker.findText("b1[0,3] (bias of h1.4)"))
    assert "the bias of h1.4" in view.weight_label.text()
    # Stepping one epoch changes the numbers shown.
    before = view.weight_label.text()
    t.run(1)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    assert view.weight_label.text() != before


def test_clicking_a_value_in_a_matrix_selects_that_weight(view, qtbot):
    t = tutorial(500)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    label = view._layer_labels[1][0]  # W2, b2 and the forward pass of layer 2
    where = next(QPoint(x, y) for y in range(0, label.height(), 2) for x in range(0, label.width(), 2)
                 if label._anchor(QPoint(x, y)) == "1,2,0")
    with qtbot.waitSignal(view.sigWeightSelected) as blocker:
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=where)
    assert blocker.args == [1, 2, 0]
    assert "W2[2,0]" in view.weight_label.text()
    # A click beside the numbers selects nothing.
    with qtbot.assertNotEmitted(view.sigWeightSelected):
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(label.width() - 1, label.height() - 1))


def test_gradient_check_button_agrees_to_1e_6(view, qtbot):
    t = tutorial(300)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    view.flush()
    view.check_button.click()
    qtbot.waitUntil(lambda: view.last_check is not None and view._check_job is None, timeout=10_000)
    check = view.last_check
    assert check.max_relative < 1e-6
    assert np.array_equal(check.analytic, t.gradient()[1])  # the gradient of the pass that trains
    assert "✓ agree" in view.check_label.text()
    assert view.check_table.rowCount() == 17


def test_gradient_check_button_sees_a_wrong_training_gradient(view, qtbot, monkeypatch):
    t = tutorial(300)
    real = Kernel.loss_and_gradient

    def one_gradient_off(self):
        loss = real(self)
        self.grad[13] *= 1.01
        return loss

    monkeypatch.setattr(Kernel, "loss_and_gradient", one_gradient_off)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    qtbot.waitUntil(lambda: view.last_pass is not None)
    view.check_button.click()
    qtbot.waitUntil(lambda: view.last_check is not None and view._check_job is None, timeout=10_000)
    assert "✗ differ" in view.check_label.text()
    assert "at W2[1,0] (h1.2 → ŷ)" in view.check_label.text()
    assert view.check_table.item(0, 0).text() == "W2[1,0] (h1.2 → ŷ)"


def show(view, qtbot, t: Trainer, label: str, from_trainer: bool = True) -> str:
    """Show the trainer's state (with its optimizer and shuffler, as the window sends them), pick
    a parameter in the list as a user does, and return the text about it."""
    extra = (t.optimizer.copy(), t.rng_state) if from_trainer else ()
    view.set_state(t.network.copy(), t.data, t.settings, t.epoch, *extra)
    qtbot.waitUntil(lambda: view.picker.findText(label) >= 0)
    index = view.picker.findText(label)
    view.picker.setCurrentIndex(index)
    view.picker.activated.emit(index)
    qtbot.waitUntil(lambda: label.split()[0] in view.weight_label.text())
    return view.weight_label.text()


def chain_products(text: str) -> tuple[list[str], str]:
    """The printed products of the chain-rule table, and their printed sum."""
    return (re.findall(r"class='product'>([^<]*)<", text),
            re.search(r"class='sum'><b>([^<]*)<", text).group(1))


@pytest.mark.parametrize("optimizer, real", [("adam", -9.70e-03), ("momentum", 2.71e-04)])
def test_next_update_is_the_step_the_optimizer_really_takes(view, qtbot, optimizer, real):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(),
                TrainSettings(lr=0.5, optimizer=optimizer))
    t.run(50)
    text = show(view, qtbot, t, "W2[0,0] (h1.1 → ŷ)")
    before = t.network.params[flat_index(t.network, 1, 0, 0)]
    t.run(1)
    after = t.network.params[flat_index(t.network, 1, 0, 0)]
    assert after - before == pytest.approx(real, rel=5e-3)  # the figures
    assert f"next update <b>{significant(after - before, 3)}</b> → next value <b>{after:.4f}</b>" in text
    assert ("Adam, update 51:" if optimizer == "adam" else "0.9 × the previous step") in text
    assert "makes it smaller" in text if optimizer == "adam" else "makes it larger" in text


def test_next_update_without_a_trainer_is_the_first_step_and_says_so(view, qtbot):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(),
                TrainSettings(lr=0.5, optimizer="adam"))
    t.run(50)
    text = show(view, qtbot, t, "W2[0,0] (h1.1 → ŷ)", from_trainer=False)
    assert "Adam, update 1:" in text and "Training starts here." in text
    # Adam's first step: lr g / (|g| + eps), close to lr against the gradient's sign.
    g = t.gradient()[1][flat_index(t.network, 1, 0, 0)]
    assert f"next update <b>{significant(-0.5 * g / (abs(g) + 1e-8), 3)}</b>" in text


def test_next_update_with_mini_batches_names_the_batch(view, qtbot):
    data = datasets.generate("moons", n=40, seed=1, test_fraction=0)
    t = Trainer(Network.initialised([2, 4, 1], seed=42), data, TrainSettings(lr=0.5, batch_size=16, seed=3))
    t.run(4)
    text = show(view, qtbot, t, "W1[1,2] (x₂ → h1.3)")
    assert "the next mini-batch: 16 of the 40 points, the first of 3 updates in the next epoch" in text
    i = flat_index(t.network, 0, 1, 2)
    assert f"this batch's gradient for the parameter: {significant(view.last_update.gradient[i], 3)}" in text
    before = t.network.params[i]
    first = []
    real_step = t.optimizer.step
    t.optimizer.step = lambda params, grad: (real_step(params, grad), first.append(params[i]))
    t.run(1)
    assert f"next update <b>{significant(first[0] - before, 3)}</b>" in text


def test_chain_rule_rows_add_up_to_the_printed_gradient(view, qtbot):
    t = tutorial(1000)
    text = show(view, qtbot, t, "W2[1,0] (h1.2 → ŷ)")
    products, total = chain_products(text)
    assert len(products) == 4
    assert sum(Decimal(p) for p in products) == Decimal(total)
    gradient = t.network.passes(t.data.X, t.data.y).dW[1][1, 0]
    assert f"{gradient:.2e}" == "1.70e-04" and abs(float(total) - gradient) < 1e-7
    assert not re.search(r">-0(\.0*)?(e[-+]\d+)?<", text)


def test_chain_rule_rows_add_up_with_hidden_samples(view, qtbot):
    data = datasets.generate("circle", n=50, seed=2, test_fraction=0)
    t = Trainer(Network.initialised([2, 4, 1], "tanh", seed=1), data, TrainSettings(lr=0.5))
    t.run(30)
    products, total = chain_products(show(view, qtbot, t, "b1[0,2] (bias of h1.3)"))
    assert len(products) == 7 and "the other 44 samples, added up" in view.weight_label.text()
    assert sum(Decimal(p) for p in products) == Decimal(total)


@pytest.mark.parametrize("parts, total, texts, sum_text", [
    ([0.0186234, -0.0240178, -0.0255521, 0.0311163], 0.0001698, None, "0.0001698"),
    ([1e-9, -3e-9], -2e-9, ["1.00e-09", "-3.00e-09"], "-2.00e-09"),
    ([0.5, 0.25], 0.75, ["0.500", "0.250"], "0.750"),
    ([1 / 3, 1 / 3, 1 / 3], 1.0, ["0.34", "0.33", "0.33"], "1.00"),  # never adds up rounded to nearest
    ([-1 / 3, -1 / 3, -1 / 3], -1.0, ["-0.33", "-0.33", "-0.34"], "-1.00"),
    ([-1e-12, 0.2], 0.2 - 1e-12, ["0.000", "0.200"], "0.200"),
])
def test_addends_add_up(parts, total, texts, sum_text):
    shown, shown_total = addends(parts, total)
    assert len(shown) == len(parts)
    if texts is not None:
        assert shown == texts
    if sum_text is not None:
        assert shown_total == sum_text
    assert not any(t.startswith("-0") and not t.strip("-0.e+") for t in shown)
    assert sum(Decimal(t) for t in shown) == Decimal(shown_total)


def test_the_inspector_names_its_loss_and_includes_the_penalty(view, qtbot):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings(lr=1.0, l1=0.01))
    t.run(200)
    view.set_state(t.network, t.data, t.settings, t.epoch)
    qtbot.waitUntil(lambda: view.last_pass is not None)
    loss = t.gradient()[0]  # the trainer's loss of these weights, with the L1 term
    assert abs(loss - t.network.loss_value(t.data.X, t.data.y)) > 1e-4
    assert f"loss of these weights <b>{loss:.4f}</b>" in view.summary.text()
    assert f"loss of these weights = <b>{loss:.4f}</b>" in view.loss_label.text()
    assert "0.01·Σ|W| (L1 penalty)" in view.loss_label.text()
    assert "status bar" in view.summary.toolTip()


def test_hidden_panel_does_no_work_until_shown(qtbot):
    w = InspectorView()
    qtbot.addWidget(w)
    t = tutorial()
    w.set_state(t.network, t.data, t.settings, 0)
    assert w.last_pass is None
    w.show()
    qtbot.waitUntil(lambda: w.last_pass is not None, timeout=2000)


def test_redraws_are_coalesced_while_epochs_come_in_leaps(view, qtbot):
    t = tutorial()
    calls = []
    original = view.refresh
    view.refresh = lambda state: (calls.append(state.epoch), original(state))
    for _ in range(50):  # as training flat out delivers them: many epochs between states
        t.run(10)
        view.set_state(t.network.copy(), t.data, t.settings, t.epoch)
    qtbot.waitUntil(lambda: calls and calls[-1] == 500, timeout=2000)
    assert len(calls) < 10
    assert "Epoch 500</b>" in view.summary.text() and "Training runs fast" not in view.summary.text()


def test_a_refresh_spread_over_frames_is_shown_in_full_when_the_frames_stop(view, qtbot):
    t = tutorial()
    t.run(50)
    view.set_state(t.network.copy(), t.data, t.settings, t.epoch)
    qtbot.wait(300)  # a redraw is due again
    t.run(50)
    view.set_state(t.network.copy(), t.data, t.settings, t.epoch)  # epochs in a leap, as training flat out
    assert "Epoch 50</b>" in view.summary.text()  # the new texts are being laid out, not shown yet
    # No frame follows (training paused): the latest state is shown in full, without the note.
    qtbot.waitUntil(lambda: "Epoch 100</b>" in view.summary.text(), timeout=2000)
    assert "Training runs fast" not in view.summary.text()


def test_every_epoch_is_shown_when_they_come_one_by_one(view, qtbot):
    t = tutorial()
    shown = []
    for _ in range(5):  # slow motion or Step: one epoch per state, a frame or more apart
        t.run(1)
        view.set_state(t.network.copy(), t.data, t.settings, t.epoch)
        shown.append(view.summary.text())
        qtbot.wait(20)
    assert [f"Epoch {e}</b>" in text for e, text in zip(range(1, 6), shown)] == [True] * 5
    assert not any("Training runs fast" in text for text in shown)


def test_matrix_html_elides_large_matrices():
    text = matrix_html("z1", np.arange(200.0).reshape(20, 10))
    assert "(20×10)" in text and "14 more rows" in text and "…" in text


def test_a_running_gradient_check_stops_when_asked(view, qtbot):
    # 4 hidden layers of 64 units: over 12,000 parameters, each needing four passes.
    net = Network.initialised([2, 64, 64, 64, 64, 1], init="xavier", seed=0)
    data = datasets.generate("moons", 400, 0.1, 0, 0.0)
    view.set_state(net, data, TrainSettings(), 0)
    view.flush()
    view.check_button.click()
    job = view._check_job
    qtbot.waitUntil(lambda: "parameter" in view.check_label.text(), timeout=10_000)
    view.shutdown()  # what the window does when it closes
    qtbot.waitUntil(lambda: not job.running, timeout=2000)
    assert view.last_check is None and "stopped" in view.check_label.text()
    assert view.check_button.isEnabled()


def test_softmax_cross_entropy_and_features_read_right(view, qtbot):
    data = datasets.generate("spiral", n=30, seed=2, classes=3)
    net = Network.initialised([3, 4, 3], "tanh", "softmax", "ce", init="xavier", seed=1,
                              features=("x1", "x1^2", "sin(x2)"))
    view.set_state(net, data, TrainSettings(), 0)
    view.flush()
    ref = net.passes(data.X, data.y)
    assert np.array_equal(view.last_pass.dz[1], ref.dz[1])
    last = view._layer_labels[1]
    assert "a2 = softmax(z2)" in last[0].text()
    assert "dz2 = (a2 − onehot(y))/m" in last[1].text()
    assert "cross-entropy" in view.loss_label.text()
    # The first layer multiplies the features F, named as the diagram names them.
    assert "z1 = F @ W1 + b1" in view._layer_labels[0][0].text()
    assert "dW1 = Fᵀ @ dz1" in view._layer_labels[0][1].text()
    assert "x₁², sin(x₂)" in view.input_label.text()
    view.select_weight(1, 2, 2)  # h1.3 → ŷ₃
    view.flush()
    assert "h1.3 to ŷ₃" in view.weight_label.text()
    view.select_weight(0, 1, 0)
    view.flush()
    assert "from x₁² to h1.1" in view.weight_label.text()


def test_a_regression_network_is_inspected_without_error(view, qtbot):
    data = datasets.generate("bumps", n=30, seed=2)
    net = Network.initialised([2, 4, 1], "tanh", "linear", "mse", init="xavier", seed=1, task="regression")
    view.set_state(net, data, TrainSettings(), 0)
    view.flush()
    assert "mean((a2 − y)²)" in view.loss_label.text()
    assert np.array_equal(view.last_pass.dW[1], net.passes(data.X, data.y).dW[1])
