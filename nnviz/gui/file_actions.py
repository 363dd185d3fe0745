"""The File menu: weights files, recent files, CSV import and export, PNG export, unsaved changes.

Every failure ends in an error dialog with the core's one-line message, and
nothing changes: files are validated completely before the window uses them,
and writes are atomic.
"""

from __future__ import annotations

import os
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from nnviz.core import datasets, weights_file
from nnviz.core.atomic import atomic_write
from nnviz.core.errors import NnvizError
from nnviz.gui.session_model import SessionModel

WEIGHTS_FILTER = "nnviz weights (*.npz);;All files (*)"
CSV_FILTER = "CSV files (*.csv);;All files (*)"
PNG_FILTER = "PNG images (*.png)"


def _with_suffix(path: str, suffix: str) -> str:
    return path if os.path.splitext(path)[1] else path + suffix


class FileActions(QObject):
    """The File menu's actions, on the session; ``parent`` is the widget dialogs belong to.

    ``images`` maps the PNG export's choices ("window", "boundary"...) to widgets.
    """

    # The session was replaced by a new one or a file (a lesson in progress ends).
    sigReplaced = Signal()

    def __init__(self, model: SessionModel, parent: QWidget, dialogs, store, images: dict[str, QWidget],
                 loss_view) -> None:
        super().__init__(parent)
        self.model = model
        self.session = model.session
        self.parent_widget = parent
        self.dialogs = dialogs
        self.store = store
        self.images = images
        self.loss_view = loss_view

    def _fail(self, title: str, exc: Exception) -> None:
        self.dialogs.error(self.parent_widget, title, str(exc))

    def _ask_path(self, save: bool, title: str, filters: str) -> str | None:
        ask = self.dialogs.save_path if save else self.dialogs.open_path
        path = ask(self.parent_widget, title, self.store.last_directory(), filters)
        if path:
            self.store.set_last_directory(path)
        return path

    # -- unsaved changes ------------------------------------------------------------
    def maybe_save(self, question: str) -> bool:
        """True when it is fine to throw the current state away (saved, discarded, or unchanged)."""
        if not self.session.modified:
            return True
        answer = self.dialogs.ask_save(self.parent_widget, question)
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -- weights files -----------------------------------------------------------------
    def new(self) -> None:
        if self.maybe_save("Save the network before starting a new one?"):
            self.session.new()
            self.sigReplaced.emit()

    def open(self) -> bool:
        if not self.maybe_save("Save the network before opening another?"):
            return False
        path = self._ask_path(False, "Open weights", WEIGHTS_FILTER)
        return bool(path) and self.open_path(path, ask=False)

    def open_path(self, path: str, ask: bool = True) -> bool:
        """Load ``path``; on any problem show why and change nothing."""
        if ask and not self.maybe_save("Save the network before opening another?"):
            return False
        try:
            loaded = weights_file.load(path)
            self.session.open_loaded(loaded, os.path.basename(path), os.path.abspath(path))
        except NnvizError as exc:
            self._fail("Cannot open weights file", exc)
            return False
        self.store.add_recent_file(path)
        self.sigReplaced.emit()
        return True

    def save(self) -> bool:
        if self.session.path is None:
            return self.save_as()
        return self.write(self.session.path)

    def save_as(self) -> bool:
        path = self._ask_path(True, "Save weights", WEIGHTS_FILTER)
        if not path:
            return False
        return self.write(_with_suffix(path, ".npz"))

    def write(self, path: str) -> bool:
        """Save the latest state: exact when paused, at most one frame old while training."""
        if not self.session.playing:
            self.model.wait_for_sync()
        snap = self.session.latest
        if snap is None:
            self._fail("Cannot save", RuntimeError("the training thread has not reported yet; try again"))
            return False
        try:
            weights_file.save(path, snap.network, snap.epoch, snap.data, snap.settings)
        except OSError as exc:
            self._fail("Cannot save", OSError(f"cannot write {os.path.basename(path)}: {exc.strerror or exc}"))
            return False
        except NnvizError as exc:
            self._fail("Cannot save", exc)
            return False
        self.session.mark_saved(os.path.abspath(path), snap.epoch)
        self.store.add_recent_file(path)
        self.model.say(f"Saved {os.path.basename(path)} at epoch {snap.epoch:,}")
        return True

    def fill_recent_menu(self, menu) -> None:
        menu.clear()
        recent = self.store.recent_files()
        for path in recent:
            action = QAction(os.path.basename(path), menu)
            action.setToolTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
            menu.addAction(action)
        if not recent:
            empty = menu.addAction("No recent files")
            empty.setEnabled(False)

    # -- points ----------------------------------------------------------------------
    def import_points(self) -> bool:
        path = self._ask_path(False, "Import points", CSV_FILTER)
        if not path:
            return False
        try:
            data = datasets.read_csv(path)
            self.session.use_dataset(data, source=os.path.basename(path))
        except NnvizError as exc:
            self._fail("Cannot import points", exc)
            return False
        return True

    def export_points(self) -> bool:
        path = self._ask_path(True, "Export points", CSV_FILTER)
        if not path:
            return False
        data = self.session.data
        try:
            datasets.write_csv(_with_suffix(path, ".csv"), data.X, data.y, data.task)
        except OSError as exc:
            self._fail("Cannot export points", exc)
            return False
        return True

    def export_loss(self) -> bool:
        path = self._ask_path(True, "Export loss history", CSV_FILTER)
        if not path:
            return False
        try:
            atomic_write(_with_suffix(path, ".csv"), self.loss_view.to_csv().encode("utf-8"))
        except OSError as exc:
            self._fail("Cannot export the loss history", exc)
            return False
        return True

    def export_png(self, which: str) -> bool:
        widget = self.images[which]
        path = self._ask_path(True, "Export image", PNG_FILTER)
        if not path:
            return False
        path = _with_suffix(path, ".png")
        if not widget.grab().save(path, "PNG"):
            self._fail("Cannot export the image", OSError(f"cannot write {os.path.basename(path)}"))
            return False
        return True
