"""The main window's modal questions go through one ``Dialogs`` object.

The window holds it as ``window.dialogs``; a test swaps in an object with the
same methods that answers at once, so no test ever blocks on a modal box.
(The Compare runs panel and the export dialog still open their own file
choosers and warnings; the randomized UI test closes any modal window.)
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


class Dialogs:
    def error(self, parent: QWidget, title: str, text: str) -> None:
        QMessageBox.critical(parent, title, text)

    def info(self, parent: QWidget, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def ask_save(self, parent: QWidget, text: str) -> str:
        """'save', 'discard' or 'cancel'."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", text,
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, parent)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def ask_running(self, parent: QWidget, text: str) -> str:
        """'finish' (wait for the work, then quit), 'discard' (stop it and quit) or 'cancel' (do not quit)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Work in progress", text, QMessageBox.StandardButton.NoButton,
                          parent)
        finish = box.addButton("Finish, then Quit", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Stop and Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(finish)
        box.exec()
        clicked = box.clickedButton()
        return "finish" if clicked is finish else "discard" if clicked is discard else "cancel"

    def open_path(self, parent: QWidget, title: str, directory: str, filters: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, title, directory, filters)
        return path or None

    def save_path(self, parent: QWidget, title: str, directory: str, filters: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, directory, filters)
        return path or None

    def get_number(self, parent: QWidget, title: str, label: str, value: float) -> float | None:
        number, ok = QInputDialog.getDouble(parent, title, label, value, -1e6, 1e6, 6)
        return number if ok else None
