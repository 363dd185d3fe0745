"""No exception ends the app: every unexpected one is logged and shown, and the app goes on.

An exception escaping a slot or an event handler reaches ``sys.excepthook``
(PySide6 reports it there); one escaping a Python thread reaches
``threading.excepthook``.  Both print the traceback to stderr, as Python
would, and then show an error dialog with the message and, behind "Show
Details", the traceback.  The dialog is opened from the event loop, never
inside the handler that failed (which may be a paint event), and one at a
time: errors that come while it is open are counted into it.
"""

from __future__ import annotations

import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget


class ErrorReporter(QObject):
    sigReport = Signal(str, str)  # message, details (queued: shown from the event loop)

    def __init__(self, parent_widget: QWidget | None = None) -> None:
        super().__init__()
        self.parent_widget = parent_widget
        self._box: QMessageBox | None = None
        self._more = 0
        self._previous = (sys.excepthook, threading.excepthook)
        self.sigReport.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> ErrorReporter:
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value, args.exc_traceback)
        return self

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _hook(self, exc_type, exc, tb) -> None:
        if exc_type is KeyboardInterrupt:
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(details)
        message = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        self.sigReport.emit(message, details)

    @Slot(str, str)
    def _show(self, message: str, details: str) -> None:
        if self._box is not None:
            self._more += 1
            self._box.setInformativeText(f"{self._more} more error(s) since; the details show the first.")
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "Something went wrong",
                          "nnviz hit an unexpected error. What you were doing did not finish; "
                          "the rest of the session is as it was.\n\n" + message, QMessageBox.StandardButton.Ok,
                          self.parent_widget)
        box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._closed)
        self._box, self._more = box, 0
        box.open()

    def _closed(self) -> None:
        self._box = None
