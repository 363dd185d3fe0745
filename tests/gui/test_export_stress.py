"""Many short exports, their dialogs cancelled, closed, rejected or deleted at random moments.

This is how a crash in the export's progress reporting was found: a 1-3
frame export finishing while its progress dialog was going away.  The
default count keeps the test to a few seconds; for a longer hunt run e.g.

    NNVIZ_EXPORT_STRESS=2000 pytest -o faulthandler_timeout=0 tests/gui/test_export_stress.py
"""

from __future__ import annotations

import os
import random

import imageio.v3 as iio
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from nnviz.core import datasets
from nnviz.core.network import Network
from nnviz.core.snapshots import SnapshotHistory
from nnviz.core.trainer import Trainer, TrainSettings
from nnviz.gui import jobs
from nnviz.gui.animation_export import ExportDialog

EXPORTS = int(os.environ.get("NNVIZ_EXPORT_STRESS", "200"))


def test_short_exports_interrupted_at_random_never_crash_and_leave_no_partial_file(qtbot, tmp_path):
    t = Trainer(Network.initialised([2, 4, 1], seed=42), datasets.xor(), TrainSettings())
    history = SnapshotHistory(t.network)
    for _ in range(30):
        history.record(t.epoch, t.network.params, t.network.loss_value(t.data.X, t.data.y))
        t.run(10)
    owner = QWidget()  # stands in for the History panel that owns the dialogs
    qtbot.addWidget(owner)
    owner.show()
    rng = random.Random(20261128)
    asked: dict[int, int] = {}
    written: dict[int, int] = {}
    actions = ("cancel", "close", "reject", "escape", "delete", "none")
    for k in range(EXPORTS):
        dialog = ExportDialog(history, t.data, owner)
        dialog.open()
        dialog.path.setText(str(tmp_path / f"run{k}"))
        asked[k] = rng.randint(1, 3)
        dialog.frames.setValue(asked[k])
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        job = dialog.job
        # A plain function, not the dialog: it hears the result even after the dialog is gone.
        job.sigDone.connect(lambda frames, k=k: written.__setitem__(k, frames))
        qtbot.wait(rng.randint(0, 25))
        action = rng.choice(actions)
        if action == "cancel":
            dialog.cancel_button.click()
        elif action == "close":
            dialog.close()
        elif action == "reject":
            dialog.reject()
        elif action == "escape":
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        elif action == "delete":
            dialog.deleteLater()
        qtbot.wait(rng.randint(0, 10))
        if action != "delete" and rng.random() < 0.5:
            dialog.deleteLater()  # gone, whether its export has ended or not
        if k % 10 == 9:
            qtbot.waitUntil(lambda: not jobs.registry().running(), timeout=10_000)
    qtbot.waitUntil(lambda: not jobs.registry().running(), timeout=10_000)

    assert len(written) == EXPORTS  # every job reported its end, none was lost
    complete = {k for k in asked if written[k] == asked[k]}
    assert 0 < len(complete) < EXPORTS  # both endings happened
    names = sorted(os.listdir(tmp_path))
    assert names == sorted(f"run{k}.gif" for k in complete)  # no partial file, no temporary file
    for k in list(complete)[:20]:
        assert len(list(iio.imiter(str(tmp_path / f"run{k}.gif"), plugin="pillow"))) == asked[k]
