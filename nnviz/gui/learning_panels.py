"""The learning panels (inspector, predictions, activation, history, compare runs, hidden space, loss
landscape), docked and wired.

Each panel is an independent widget with ``set_state``; this module docks
them (through the ``add_panel`` function the window gives it) and connects
them to the session model, so that neither the panels nor the window need
to know each other.  Panels start hidden (the View menu and Ctrl+Shift+1...7
show them): a hidden panel costs nothing per frame, except the history,
which records every frame so that there is something to scrub through when
it is opened.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from nnviz.core.errors import NnvizError
from nnviz.core.session import PastEpoch, RunStart, Shown
from nnviz.core.weights_file import Loaded
from nnviz.gui.activation_view import ActivationView
from nnviz.gui.compare_view import CompareView, OpenRun
from nnviz.gui.hidden_space_view import HiddenSpaceView
from nnviz.gui.history_view import HistoryView
from nnviz.gui.inspector_view import InspectorView
from nnviz.gui.landscape_view import LandscapeView
from nnviz.gui.predictions_view import PredictionsView
from nnviz.gui.session_model import SessionModel


class LearningPanels:
    def __init__(self, model: SessionModel, add_panel, diagram, loss_view) -> None:
        self.model = model
        self.session = model.session
        self.loss_view = loss_view
        self.inspector = InspectorView()
        self.predictions = PredictionsView()
        self.activation = ActivationView()
        self.history = HistoryView()
        self.compare = CompareView()
        self.hidden_space = HiddenSpaceView()
        # The landscape's training path is the history's snapshots (read when a computation starts).
        self.landscape = LandscapeView(history=lambda: self.history.history)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.docks = {
            "inspector": add_panel("Step inspector", self.inspector, right, False, "Ctrl+Shift+1"),
            "predictions": add_panel("Predictions", self.predictions, right, False, "Ctrl+Shift+2"),
            "activation": add_panel("Activation", self.activation, right, False, "Ctrl+Shift+3"),
            "history": add_panel("History", self.history, bottom, False, "Ctrl+Shift+4"),
            "compare": add_panel("Compare runs", self.compare, bottom, False, "Ctrl+Shift+5"),
            # Tabbed with the panels at the side: the boundary and loss views keep their room.
            "hidden_space": add_panel("Hidden space", self.hidden_space, right, False, "Ctrl+Shift+6"),
            "landscape": add_panel("Loss landscape", self.landscape, right, False, "Ctrl+Shift+7"),
        }
        model.sigFrame.connect(self._record)
        model.sigShown.connect(self._follow_shown)
        model.sigRun.connect(self._run_started)
        # Clicking an edge in the diagram also selects that weight in the inspector.
        diagram.sigEditRequested.connect(
            lambda layer, row, col, _value, _what: self.inspector.select_weight(layer, row, col))
        self.history.sigScrubbed.connect(self._scrubbed)
        self.history.sigResume.connect(self._resume)
        self.compare.sigOpenRun.connect(self.open_run)

    # -- history --------------------------------------------------------------------
    def _record(self, snap) -> None:
        # The loss of the snapshot's own weights (not the last epoch's, which is one update older).
        self.history.record(snap.network, snap.data, snap.settings, snap.epoch, snap.weights_loss)

    def _run_started(self, start: RunStart) -> None:
        # A run starting back at an earlier epoch (a reset, a resume) rewrites the future.
        if self.history.history is not None and self.history.history.accepts(start.network):
            self.history.forget_after(start.epoch - 1)

    def _follow_shown(self, shown: Shown) -> None:
        if not shown.past:
            self.history.show_live()

    def _scrubbed(self, past: PastEpoch | None) -> None:
        if past is None:
            self.session.show_live()
        else:
            self.session.show_past(past)
            self.model.say(f"Showing epoch {past.epoch:,} from the history: 'Resume from here' trains on "
                           "from it; 'Live', Play or Step return to the present")

    def _resume(self, past: PastEpoch) -> None:
        try:
            self.session.resume_from(past)
        except NnvizError as exc:
            self.model.say(str(exc))

    # -- compare ----------------------------------------------------------------------
    def open_run(self, run: OpenRun) -> None:
        """Make a compared run the window's network, with its loss curve."""
        meta = {"layers": run.network.layers}
        try:
            self.session.open_loaded(Loaded(run.network, run.epoch, meta, run.data, run.settings),
                                     f"run '{run.label}'")
        except NnvizError as exc:
            self.model.say(str(exc))
            return
        self.loss_view.add(run.epoch - len(run.losses), run.losses, None)
        self.loss_view.redraw()

    # -- quitting ---------------------------------------------------------------------
    def shutdown(self) -> None:
        """Ask every panel's background work to stop; returns at once."""
        self.compare.shutdown()
        self.inspector.shutdown()
        self.hidden_space.shutdown()
        self.landscape.shutdown()
