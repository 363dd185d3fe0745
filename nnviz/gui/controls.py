"""The controls panel: it shows the session's ``Setup`` and says which value the user changed.

The panel keeps no state of its own: ``set_setup`` shows a set-up, and each
edit emits only the field that changed (``sigTrain({"lr": 0.5})``,
``sigModel({"hidden": (8, 8)})``, ``sigData({"name": "spiral"})``), which
the window applies to the session's set-up.  So a value the widgets cannot
show exactly is never written back by an edit of another field.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nnviz.core import datasets, features
from nnviz.core.network import MAX_HIDDEN_LAYERS, MAX_UNITS
from nnviz.core.setup import Setup
from nnviz.core.trainer import MAX_LR, MAX_PENALTY, MIN_LR

# Speeds offered by the slider, epochs per second; None is "as fast as possible".
SPEEDS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 300, 1000, 3000, 10000, None)
DEFAULT_SPEED = len(SPEEDS) - 1


def speed_text(rate: float | None) -> str:
    if rate is None:
        return "as fast as possible"
    if rate <= 60:
        return f"{rate:g} epochs/s (slow motion)"
    return f"{rate:,.0f} epochs/s"


def _combo(items: list[tuple[str, str]], tip: str) -> QComboBox:
    box = QComboBox()
    for value, text in items:
        box.addItem(text, value)
    box.setToolTip(tip)
    return box


def _select(box: QComboBox, value) -> None:
    index = box.findData(value)
    box.setCurrentIndex(max(index, 0))


class ScientificSpinBox(QDoubleSpinBox):
    """A spin box for values over many orders of magnitude (1e-05, 0.25, 300): shown as typed, not rounded."""

    def __init__(self, minimum: float, maximum: float) -> None:
        super().__init__()
        self.setDecimals(12)  # keeps small values exact; the text shows 6 significant digits
        self.setRange(minimum, maximum)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            # Part of a number being typed ("1e", "-", "0.") may still become one.
            partial = text.strip() in ("", "-", "+", ".") or text.lower().endswith(("e", "e-", "e+"))
            return (QValidator.State.Intermediate if partial else QValidator.State.Invalid), text, pos
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, pos
        return QValidator.State.Intermediate, text, pos

    def fixup(self, text: str) -> str:
        return self.textFromValue(self.value())


def _no_tracking(box: QAbstractSpinBox) -> QAbstractSpinBox:
    # Emit when the user has finished typing, not on every keystroke: an
    # architecture change resets the weights.
    box.setKeyboardTracking(False)
    return box


class HiddenLayersEditor(QWidget):
    """A spin box per hidden layer (its units) and buttons to add or remove a layer."""

    sigChanged = Signal(tuple)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(3)
        self._boxes: list[QSpinBox] = []
        self.add_button = QToolButton(text="+")
        self.add_button.setToolTip(f"Add a hidden layer (at most {MAX_HIDDEN_LAYERS}); resets the weights")
        self.add_button.clicked.connect(self._add)
        self.remove_button = QToolButton(text="−")
        self.remove_button.setToolTip("Remove the last hidden layer; resets the weights")
        self.remove_button.clicked.connect(self._remove)
        self._none = QLabel("none")
        self._none.setToolTip("No hidden layer: the network is a logistic regression (a straight boundary)")
        self._row.addWidget(self._none)
        self._row.addStretch(1)
        self._row.addWidget(self.remove_button)
        self._row.addWidget(self.add_button)

    def value(self) -> tuple[int, ...]:
        return tuple(b.value() for b in self._boxes)

    def set_value(self, hidden: tuple[int, ...]) -> None:
        while len(self._boxes) > len(hidden):
            box = self._boxes.pop()
            self._row.removeWidget(box)
            box.deleteLater()
        while len(self._boxes) < len(hidden):
            box = _no_tracking(QSpinBox())
            box.setRange(1, MAX_UNITS)
            box.setToolTip(f"Units in hidden layer {len(self._boxes) + 1} (1 to {MAX_UNITS}); "
                           "changing it resets the weights")
            box.valueChanged.connect(lambda _v: self.sigChanged.emit(self.value()))
            self._row.insertWidget(len(self._boxes), box)
            self._boxes.append(box)
        for box, n in zip(self._boxes, hidden):
            box.blockSignals(True)
            box.setValue(n)
            box.blockSignals(False)
        self._none.setVisible(not hidden)
        self.add_button.setEnabled(len(hidden) < MAX_HIDDEN_LAYERS)
        self.remove_button.setEnabled(bool(hidden))

    def _add(self) -> None:
        hidden = self.value()
        self.set_value(hidden + ((hidden[-1] if hidden else 4),))
        self.sigChanged.emit(self.value())

    def _remove(self) -> None:
        self.set_value(self.value()[:-1])
        self.sigChanged.emit(self.value())


# Three columns fit the settings panel at 1366x768 (four clipped the last one); a row per kind of input.
FEATURE_PLACES = {"x1": (0, 0), "x2": (0, 1), "x1*x2": (0, 2), "x1^2": (1, 0), "x2^2": (1, 1),
                  "sin(x1)": (2, 0), "sin(x2)": (2, 1)}


class FeaturesEditor(QWidget):
    """A checkbox per input feature (x₁, x₂, x₁², ...); at least one stays on."""

    sigChanged = Signal(tuple)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(0)
        self.boxes: dict[str, QCheckBox] = {}
        for name in features.NAMES:
            box = QCheckBox(features.label(name))
            box.setObjectName(f"feature_{name}")
            box.setToolTip(f"Feed the network {features.label(name)} as an input. "
                           "Changing the inputs resets the weights.")
            box.toggled.connect(self._toggled)
            grid.addWidget(box, *FEATURE_PLACES[name])
            self.boxes[name] = box

    def value(self) -> tuple[str, ...]:
        return tuple(name for name, box in self.boxes.items() if box.isChecked())

    def set_value(self, names: tuple[str, ...]) -> None:
        for name, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(name in names)
            box.blockSignals(False)
        self._keep_one()

    def _keep_one(self) -> None:
        """The only input left cannot be turned off: a network needs one."""
        on = self.value()
        for name, box in self.boxes.items():
            box.setEnabled(not (len(on) == 1 and name in on))

    def _toggled(self, _checked: bool) -> None:
        self._keep_one()
        self.sigChanged.emit(self.value())


class ControlsPanel(QWidget):
    sigTrain = Signal(object)  # {field: value} of TrainSettings: applied without touching the weights
    sigModel = Signal(object)  # {field: value} of ModelSpec: the weights are reset
    sigData = Signal(object)  # {field: value} of DataSpec
    sigSpeed = Signal(object)  # epochs per second, or None

    def __init__(self, actions: dict[str, QAction], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("controlsPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._training_group(actions))
        layout.addWidget(self._network_group(actions))
        layout.addWidget(self._data_group(actions))
        layout.addStretch(1)
        self.set_setup(Setup())
        self.set_speed_index(DEFAULT_SPEED)

    # -- building ------------------------------------------------------------------
    def _training_group(self, actions: dict[str, QAction]) -> QGroupBox:
        group = QGroupBox("Training")
        form = QFormLayout(group)
        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, len(SPEEDS) - 1)
        self.speed.setPageStep(1)
        self.speed.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.speed.setToolTip("Training speed: from slow motion (every epoch drawn, a few per second) "
                              "to as fast as possible.\nShortcuts: [ slower, ] faster")
        self.speed_label = QLabel()
        self.speed_label.setStyleSheet("color: #555;")
        self.speed.valueChanged.connect(self._speed_changed)
        form.addRow("Speed", self.speed)
        form.addRow("", self.speed_label)

        self.lr = _no_tracking(ScientificSpinBox(MIN_LR, MAX_LR))
        self.lr.setToolTip("Learning rate: how far each update moves the weights along the gradient.\n"
                           "Takes effect at the next epoch; the weights are kept.")
        form.addRow("Learning rate", self.lr)
        self.optimizer = _combo([("sgd", "SGD (plain gradient descent)"), ("momentum", "Momentum"),
                                 ("adam", "Adam")],
                                "How gradients become updates. Changing it keeps the weights.")
        form.addRow("Optimizer", self.optimizer)
        self.batch = _no_tracking(QSpinBox())
        self.batch.setRange(0, datasets.MAX_POINTS)
        self.batch.setSpecialValueText("full batch")
        self.batch.setToolTip("Points per update. 'full batch' (0) uses every point in each update, "
                              "as the tutorial does.")
        form.addRow("Batch size", self.batch)
        self.l2 = _no_tracking(ScientificSpinBox(0, MAX_PENALTY))
        self.l2.setSingleStep(0.001)
        self.l2.setToolTip("L2 regularisation: a penalty on large weights (0 = off). Keeps the weights.")
        form.addRow("L2 penalty", self.l2)
        self.lr.valueChanged.connect(lambda v: self.sigTrain.emit({"lr": v}))
        self.l2.valueChanged.connect(lambda v: self.sigTrain.emit({"l2": v}))
        self.batch.valueChanged.connect(lambda v: self.sigTrain.emit({"batch_size": v or None}))
        self.optimizer.currentIndexChanged.connect(
            lambda _i: self.sigTrain.emit({"optimizer": self.optimizer.currentData()}))
        return group

    def _network_group(self, actions: dict[str, QAction]) -> QGroupBox:
        group = QGroupBox("Network")
        form = QFormLayout(group)
        self.hidden = HiddenLayersEditor()
        self.hidden.sigChanged.connect(lambda hidden: self.sigModel.emit({"hidden": tuple(hidden)}))
        form.addRow("Hidden units", self.hidden)
        self.activation = _combo([(n, n) for n in ("sigmoid", "tanh", "relu", "linear")],
                                 "Activation of the hidden units; changing it resets the weights")
        form.addRow("Activation", self.activation)
        self.output_activation = _combo([("sigmoid", "sigmoid"), ("linear", "linear"),
                                         ("softmax", "softmax (one unit per class)")],
                                        "Activation of the output units; changing it resets the weights.\n"
                                        "softmax goes with cross-entropy, for two classes or more.")
        form.addRow("Output", self.output_activation)
        self.loss = _combo([("mse", "mean squared error"), ("bce", "binary cross-entropy"),
                            ("ce", "cross-entropy")],
                           "What training minimises; changing it resets the weights.\n"
                           "cross-entropy goes with a softmax output.")
        form.addRow("Loss", self.loss)
        self.features = FeaturesEditor()
        self.features.setToolTip("What the network sees of each point. With x₁² and x₂² alone, "
                                 "even a network with no hidden layer can learn the circle.")
        self.features.sigChanged.connect(lambda names: self.sigModel.emit({"features": tuple(names)}))
        form.addRow("Inputs", self.features)
        self.init = _combo([("tutorial", "tutorial (randn × 0.5)"), ("xavier", "Xavier"), ("he", "He")],
                           "How the initial weights are drawn; changing it resets the weights")
        form.addRow("Initial weights", self.init)
        seed_row = QHBoxLayout()
        self.seed = _no_tracking(QSpinBox())
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the initial weights: the same seed gives the same start (42 is the "
                             "tutorial's). Changing it resets the weights.")
        seed_row.addWidget(self.seed, 1)
        new_seed = QToolButton()
        new_seed.setDefaultAction(actions["new_seed"])
        seed_row.addWidget(new_seed)
        form.addRow("Seed", seed_row)
        for name, box in (("activation", self.activation), ("init", self.init)):
            box.currentIndexChanged.connect(lambda _i, n=name, b=box: self.sigModel.emit({n: b.currentData()}))
        self.output_activation.currentIndexChanged.connect(lambda _i: self._output_changed())
        self.loss.currentIndexChanged.connect(lambda _i: self._loss_changed())
        self.seed.valueChanged.connect(lambda v: self.sigModel.emit({"seed": v}))
        return group

    def _data_group(self, actions: dict[str, QAction]) -> QGroupBox:
        group = QGroupBox("Data")
        form = QFormLayout(group)
        self.dataset = _combo([(n, n if n != "xor" else "XOR (the tutorial's 4 points)")
                               for n in datasets.NAMES],
                              "The data set. XOR is the tutorial's; the others are generated with the "
                              "settings below. Choosing another resets the weights.")
        # Shown when points come from a CSV or weights file; chosen by importing, not here.
        self.dataset.addItem("points from a file", "custom")
        self.dataset.model().item(self.dataset.count() - 1).setEnabled(False)
        form.addRow("Data set", self.dataset)
        self.classes = _no_tracking(QSpinBox())
        self.classes.setRange(2, datasets.MAX_CLASSES)
        self.classes.setToolTip("How many classes to generate (spiral: one arm each; gaussians: one blob "
                                "each).\nMore than two gives the network one softmax output per class. "
                                "Changing it resets the weights.")
        form.addRow("Classes", self.classes)
        self.samples = _no_tracking(QSpinBox())
        self.samples.setRange(4, datasets.MAX_POINTS)
        self.samples.setSingleStep(50)
        self.samples.setToolTip("How many points to generate (train and test together); "
                                "changing it resets the weights")
        form.addRow("Points", self.samples)
        self.noise = _no_tracking(QDoubleSpinBox())
        self.noise.setRange(0, 2)
        self.noise.setSingleStep(0.05)
        self.noise.setToolTip("Gaussian noise added to every generated point; the weights are kept")
        form.addRow("Noise", self.noise)
        self.test_fraction = _no_tracking(QSpinBox())
        self.test_fraction.setRange(0, 90)
        self.test_fraction.setSuffix(" %")
        self.test_fraction.setSingleStep(10)
        self.test_fraction.setToolTip("Share of the generated points held out as a test split "
                                      "(drawn hollow, never trained on); its loss is drawn too")
        form.addRow("Test split", self.test_fraction)
        self.data_seed = _no_tracking(QSpinBox())
        self.data_seed.setRange(0, 2**31 - 1)
        self.data_seed.setToolTip("Seed of the generated points; the weights are kept")
        form.addRow("Data seed", self.data_seed)
        open_csv = QToolButton()
        open_csv.setDefaultAction(actions["import_points"])
        open_csv.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        form.addRow("", open_csv)
        self.dataset.currentIndexChanged.connect(lambda _i: self._data_changed({"name": self.dataset.currentData()}))
        self.samples.valueChanged.connect(lambda v: self._data_changed({"n": v}))
        self.classes.valueChanged.connect(lambda v: self._data_changed({"classes": v}))
        self.noise.valueChanged.connect(lambda v: self._data_changed({"noise": round(v, 4)}))
        self.test_fraction.valueChanged.connect(lambda v: self._data_changed({"test_fraction": v / 100}))
        self.data_seed.valueChanged.connect(lambda v: self._data_changed({"seed": v}))
        return group

    # -- values ----------------------------------------------------------------------
    def set_setup(self, setup: Setup) -> None:
        """Show ``setup`` without emitting any change."""
        widgets = [self.lr, self.optimizer, self.batch, self.l2, self.hidden, self.activation,
                   self.output_activation, self.loss, self.init, self.seed, self.dataset, self.samples,
                   self.noise, self.test_fraction, self.data_seed, self.classes]
        for w in widgets:
            w.blockSignals(True)
        try:
            s = setup.settings
            self.lr.setValue(s.lr)
            _select(self.optimizer, s.optimizer)
            self.batch.setValue(s.batch_size or 0)
            self.l2.setValue(s.l2)
            m = setup.model
            self.hidden.set_value(m.hidden)
            _select(self.activation, m.activation)
            _select(self.output_activation, m.output_activation)
            _select(self.loss, m.loss)
            _select(self.init, m.init)
            self.seed.setValue(m.seed)
            self.features.set_value(m.features)
            d = setup.data
            _select(self.dataset, d.name)
            # Points from a file have no generator's classes: the box shows the network's (greyed out).
            custom_classes = m.classes if m.output_activation == "softmax" else 2
            self.classes.setValue(custom_classes if d.name == "custom" else d.classes)
            self.samples.setValue(d.n)
            self.noise.setValue(d.noise)
            self.test_fraction.setValue(round(d.test_fraction * 100))
            self.data_seed.setValue(d.seed)
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._enable_data_knobs()

    def _enable_data_knobs(self) -> None:
        generated = self.dataset.currentData() in datasets.GENERATORS
        for w in (self.samples, self.noise, self.test_fraction, self.data_seed):
            w.setEnabled(generated)
        self.classes.setEnabled(self.dataset.currentData() in datasets.MULTICLASS)

    def speed_rate(self) -> float | None:
        return SPEEDS[self.speed.value()]

    def set_speed_index(self, index: int) -> None:
        self.speed.setValue(max(0, min(index, len(SPEEDS) - 1)))
        self._speed_changed(self.speed.value())

    def _speed_changed(self, index: int) -> None:
        self.speed_label.setText(speed_text(SPEEDS[index]))
        self.sigSpeed.emit(SPEEDS[index])

    # softmax goes only with cross-entropy and cross-entropy only with softmax: choosing one fills in
    # the other, and leaving one leaves the other for the tutorial's choice.
    def _output_changed(self) -> None:
        output, loss = self.output_activation.currentData(), self.loss.currentData()
        change = {"output_activation": output}
        if output == "softmax":
            change["loss"] = "ce"
        elif loss == "ce":
            change["loss"] = "mse"
        self.sigModel.emit(change)

    def _loss_changed(self) -> None:
        output, loss = self.output_activation.currentData(), self.loss.currentData()
        change = {"loss": loss}
        if loss == "ce":
            change["output_activation"] = "softmax"
        elif output == "softmax":
            change["output_activation"] = "sigmoid"
        self.sigModel.emit(change)

    def _data_changed(self, change: dict) -> None:
        self._enable_data_knobs()
        self.sigData.emit(change)
