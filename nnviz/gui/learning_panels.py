"""Mounts the learning panels of issue 4 in the main window and wires them to it.

Each panel is an independent widget with ``set_state``; this module is the
only place that knows both the panels and the window, so neither has to know
the other.  Panels start hidden (the View menu and Ctrl+Shift+1...6 show them):
a hidden panel costs nothing per frame, except the history, which records
every frame so that there is something to scrub through when it is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from nnviz.core.plane import PlaneSampler
from nnviz.core.weights_file import Loaded
from nnviz.gui.activation_view import ActivationView
from nnviz.gui.compare_view import CompareView, OpenRun
from nnviz.gui.history_view import HistoryView, PastState
from nnviz.gui.inspector_view import InspectorView
from nnviz.gui.predictions_view import PredictionsView

if TYPE_CHECKING:
    from nnviz.gui.main_window import MainWindow


class LearningPanels:
    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.inspector = InspectorView()
        self.predictions = PredictionsView()
        self.activation = ActivationView()
        self.history = HistoryView()
        self.compare = CompareView()
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.docks = {
            "inspector": window.add_panel("Step inspector", self.inspector, right, False, "Ctrl+Shift+1"),
            "predictions": window.add_panel("Predictions", self.predictions, right, False, "Ctrl+Shift+2"),
            "activation": window.add_panel("Activation", self.activation, right, False, "Ctrl+Shift+3"),
            "history": window.add_panel("History", self.history, bottom, False, "Ctrl+Shift+4"),
            "compare": window.add_panel("Compare runs", self.compare, bottom, False, "Ctrl+Shift+5"),
        }
        self._sampler = PlaneSampler()
        window.sigFrame.connect(self._on_frame)
        # Clicking an edge in the diagram also selects that weight in the inspector.
        window.diagram.sigEditRequested.connect(
            lambda layer, row, col, _value, _what: self.inspector.select_weight(layer, row, col))
        self.history.sigScrubbed.connect(self.show_past)
        self.history.sigResume.connect(self.resume_from)
        self.compare.sigOpenRun.connect(self.open_run)

    def shutdown(self) -> None:
        self.compare.shutdown()
        self.inspector.shutdown()

    # -- history --------------------------------------------------------------------
    def _on_frame(self, snap) -> None:
        # snap.loss is the loss of the last epoch trained: close enough for the
        # history's overview curve, and free (no extra forward pass per frame).
        self.history.record(snap.network, snap.data, snap.settings, snap.epoch, snap.loss)
        if not self.history.live and snap.running:
            self.history.go_live()  # training goes on: the window shows the present again

    def show_past(self, past: PastState | None) -> None:
        """Show the network of a past epoch in the diagram, the boundary and the panels (None: live)."""
        w = self.window
        if past is None:
            snap = w.latest
            if snap is not None:
                w.diagram.set_network(snap.network)
                w.boundary.set_image(snap.image, snap.bounds)
                self._feed(snap.network, snap.data, snap.settings, snap.epoch)
            w.statusBar().clearMessage()
            return
        w.set_playing(False)
        bounds = w.latest.bounds if w.latest is not None else w.boundary.bounds
        w.diagram.set_network(past.network)
        if bounds is not None:
            w.boundary.set_image(self._sampler.image(past.network, bounds), bounds)
        self._feed(past.network, past.data, past.settings, past.epoch)
        w.statusBar().showMessage(f"Showing epoch {past.epoch:,} from the history: 'Resume from here' trains "
                                  "on from it, 'Live' or Play returns to the present")

    def _feed(self, network, data, settings, epoch) -> None:
        for dock, widget in self.window.panels:
            if widget is not self.history and dock.isVisible() and hasattr(widget, "set_state"):
                widget.set_state(network, data, settings, epoch)

    def resume_from(self, past: PastState) -> None:
        """Train on from a past snapshot, keeping the loss curve up to it (a rewind, not a new run)."""
        w = self.window
        loss_view = w.loss_view
        record = loss_view.history  # start_run gives the view a new, empty record
        start = w._start  # Reset still returns to the run's true start
        w.start_run(past.network, w.data if w.data is not None else past.data,
                    past.settings or w.latest.settings, past.epoch, keep_bounds=True,
                    message=f"Resumed from epoch {past.epoch:,}")
        w._start = start
        loss_view.history = record
        loss_view.truncate(past.epoch - 1)

    # -- compare ----------------------------------------------------------------------
    def open_run(self, run: OpenRun) -> None:
        """Make a compared run the window's network, with its loss curve."""
        w = self.window
        meta = {"layers": run.network.layers}
        w.open_loaded(Loaded(run.network, run.epoch, meta, run.data, run.settings), f"run '{run.label}'")
        w.loss_view.add(run.epoch - len(run.losses), run.losses, None)
        w.loss_view.redraw()
