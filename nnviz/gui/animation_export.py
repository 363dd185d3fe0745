"""Export training as an animated GIF or MP4: decision boundary, network diagram and loss curve.

Every frame is painted with ``QPainter`` onto a ``QImage``, which Qt allows
off the GUI thread (widgets are not), so the whole export runs in a
``CallThread`` while a progress dialog stays responsive and can cancel it.
Frames come from the weight snapshots of ``SnapshotHistory``: frame i shows
the newest snapshot at or before its epoch, labelled with that snapshot's
real epoch.  Encoding is imageio's: Pillow for GIF, imageio-ffmpeg for MP4.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QWidget,
)

from nnviz.core.datasets import Dataset
from nnviz.core.network import Network
from nnviz.core.plane import plane_points, square_bounds
from nnviz.core.snapshots import SnapshotHistory
from nnviz.gui import theme
from nnviz.gui.panel import CallThread

WIDTH, HEIGHT = 960, 384  # multiples of 16, so ffmpeg encodes them as they are
HEADER = 40
RESOLUTION = 96  # boundary pixels per side
MAX_FRAMES = 2000
FORMATS = {"GIF": ".gif", "MP4": ".mp4"}


@dataclass
class Frame:
    index: int  # snapshot index in the history
    epoch: int  # the snapshot's epoch (what the frame shows)


@dataclass
class Movie:
    """Everything an export needs, copied so the GUI may go on changing its own state."""

    networks: list[Network]
    epochs: list[int]
    data: Dataset
    curve_epochs: np.ndarray  # the loss curve drawn under the frames
    curve_losses: np.ndarray


def plan_frames(history: SnapshotHistory, first: int, last: int, count: int) -> list[Frame]:
    """``count`` frames at evenly spaced epochs from ``first`` to ``last`` (inclusive)."""
    if len(history) == 0:
        return []
    count = max(1, min(int(count), MAX_FRAMES))
    targets = np.linspace(first, last, count) if count > 1 else np.array([float(last)])
    frames = []
    for t in targets:
        i = history.index_at(round(t))
        frames.append(Frame(i, history.epoch(i)))
    return frames


def make_movie(history: SnapshotHistory, data: Dataset, frames: list[Frame]) -> Movie:
    networks = {f.index: history.network(f.index) for f in frames}
    finite = np.isfinite(history.losses) & (history.losses > 0)
    return Movie([networks[f.index] for f in frames], [f.epoch for f in frames], data.copy(),
                 history.epochs[finite].copy(), history.losses[finite].copy())


# -- painting ---------------------------------------------------------------------
def _boundary_image(network: Network, bounds) -> QImage:
    with np.errstate(all="ignore"):
        p = network.predict(plane_points(bounds, RESOLUTION)).reshape(RESOLUTION, RESOLUTION)
    p = np.nan_to_num(p, nan=0.5)
    rgb = theme.probability_colormap().map(np.clip(p, 0, 1), mode="byte")[..., :3]
    rgb = np.ascontiguousarray(rgb[::-1], dtype=np.uint8)  # row 0 of the image is the top (ymax)
    image = QImage(rgb.data, RESOLUTION, RESOLUTION, 3 * RESOLUTION, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: ``rgb`` dies with this function


def paint_boundary(p: QPainter, rect: QRectF, network: Network, data: Dataset) -> None:
    bounds = square_bounds(data)
    xmin, xmax, ymin, ymax = bounds
    side = min(rect.width(), rect.height())
    square = QRectF(rect.x() + (rect.width() - side) / 2, rect.y() + (rect.height() - side) / 2, side, side)
    p.drawImage(square, _boundary_image(network, bounds))
    p.setPen(QPen(QColor(theme.MUTED), 1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(square)

    def to_px(x: float, y: float) -> QPointF:
        return QPointF(square.x() + (x - xmin) / (xmax - xmin) * side,
                       square.bottom() - (y - ymin) / (ymax - ymin) * side)

    radius = 6.0 if len(data.X) <= 50 else 3.5 if len(data.X) <= 400 else 2.0
    p.setPen(QPen(QColor(theme.INK), 1))
    for label in (0, 1):
        p.setBrush(QColor(theme.CLASS_COLOURS[label]))
        for x, y in data.X[data.y[:, 0] == label]:
            p.drawEllipse(to_px(x, y), radius, radius)


def paint_diagram(p: QPainter, rect: QRectF, network: Network) -> None:
    layers = network.layers
    n_layers = len(layers)
    xs = [rect.x() + rect.width() * (k + 0.5) / n_layers for k in range(n_layers)]

    def ys(n: int) -> list[float]:
        gap = min(rect.height() / max(n, 1), 44.0)
        top = rect.center().y() - gap * (n - 1) / 2
        return [top + gap * i for i in range(n)]

    pos = [[QPointF(xs[k], y) for y in ys(n)] for k, n in enumerate(layers)]
    biggest = max(float(np.abs(W).max()) for W in network.W) or 1.0
    for k, W in enumerate(network.W):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                w = float(W[i, j])
                colour = QColor(theme.BLUE if w >= 0 else theme.ORANGE)
                colour.setAlpha(200)
                p.setPen(QPen(colour, 0.5 + 5.5 * min(1.0, abs(w) / biggest)))
                p.drawLine(pos[k][i], pos[k + 1][j])
    radius = max(3.0, min(11.0, rect.height() / (2.6 * max(layers))))
    p.setPen(QPen(QColor(theme.INK), 1.2))
    for k, column in enumerate(pos):
        for j, point in enumerate(column):
            if k == 0:
                p.setBrush(QColor("#ffffff"))
            else:
                b = float(network.b[k - 1][0, j])
                p.setBrush(QColor(theme.BLUE if b >= 0 else theme.ORANGE).lighter(100 + int(min(60, 60 / (1 + abs(b))))))
            p.drawEllipse(point, radius, radius)


def paint_loss(p: QPainter, rect: QRectF, epochs: np.ndarray, losses: np.ndarray, epoch: int) -> None:
    p.setPen(QPen(QColor(theme.MUTED), 1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    inner = rect.adjusted(44, 8, -8, -24)
    p.drawRect(inner)
    if len(epochs) < 1:
        return
    logs = np.log10(losses)
    lo, hi = math.floor(logs.min()), math.ceil(logs.max())
    if hi == lo:
        hi = lo + 1
    e0, e1 = float(epochs[0]), float(max(epochs[-1], epochs[0] + 1))

    def to_px(e: float, v: float) -> QPointF:
        return QPointF(inner.x() + (e - e0) / (e1 - e0) * inner.width(),
                       inner.bottom() - (v - lo) / (hi - lo) * inner.height())

    font = QFont()
    font.setPointSize(8)
    p.setFont(font)
    for decade in range(lo, hi + 1):
        y = to_px(e0, decade).y()
        p.setPen(QPen(QColor(theme.GRID_PEN), 1))
        p.drawLine(QPointF(inner.x(), y), QPointF(inner.right(), y))
        p.setPen(QColor(theme.MUTED))
        p.drawText(QRectF(rect.x(), y - 8, 40, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   f"1e{decade}")
    p.drawText(QRectF(inner.x(), inner.bottom() + 4, inner.width(), 16), Qt.AlignmentFlag.AlignLeft,
               f"{int(e0):,}")
    p.drawText(QRectF(inner.x(), inner.bottom() + 4, inner.width(), 16), Qt.AlignmentFlag.AlignRight,
               f"{int(e1):,}")
    p.drawText(QRectF(inner.x(), inner.bottom() + 4, inner.width(), 16), Qt.AlignmentFlag.AlignHCenter, "epoch")
    path = QPainterPath(to_px(epochs[0], logs[0]))
    for e, v in zip(epochs[1:], logs[1:]):
        path.lineTo(to_px(e, v))
    done = epochs <= epoch
    p.setPen(QPen(QColor(theme.GRID_PEN), 1.2))
    p.drawPath(path)
    if done.any():
        upto = QPainterPath(to_px(epochs[0], logs[0]))
        for e, v in zip(epochs[done][1:], logs[done][1:]):
            upto.lineTo(to_px(e, v))
        p.setPen(QPen(QColor(theme.INK), 1.6))
        p.drawPath(upto)
        last = np.flatnonzero(done)[-1]
        p.setBrush(QColor(theme.VERMILLION))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(to_px(epochs[last], logs[last]), 4, 4)


def render_frame(movie: Movie, i: int) -> QImage:
    """Frame ``i`` of ``movie`` as an RGB image of WIDTH x HEIGHT (safe off the GUI thread)."""
    network, epoch = movie.networks[i], movie.epochs[i]
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB888)
    image.fill(QColor("#ffffff"))
    p = QPainter(image)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # the boundary is scaled up
        with np.errstate(all="ignore"):
            loss = network.loss_value(movie.data.X, movie.data.y)
        title = QFont()
        title.setPointSize(13)
        title.setBold(True)
        p.setFont(title)
        p.setPen(QColor(theme.INK))
        p.drawText(QRectF(14, 0, WIDTH - 28, HEADER), Qt.AlignmentFlag.AlignVCenter,
                   f"epoch {epoch:,}    loss {loss:.6f}")
        small = QFont()
        small.setPointSize(9)
        p.setFont(small)
        p.setPen(QColor(theme.MUTED))
        arch = "-".join(map(str, network.layers))
        # The frame counter also keeps consecutive frames distinct: GIF writers
        # merge identical frames, which would change the frame count asked for.
        p.drawText(QRectF(14, 0, WIDTH - 28, HEADER), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                   f"nnviz · {arch} {network.activation} · frame {i + 1}/{len(movie.networks)}")
        panel = (WIDTH - 32) / 3
        top, height = HEADER + 4, HEIGHT - HEADER - 12
        paint_boundary(p, QRectF(8, top, panel, height), network, movie.data)
        paint_diagram(p, QRectF(16 + panel, top, panel, height), network)
        paint_loss(p, QRectF(24 + 2 * panel, top, panel, height), movie.curve_epochs, movie.curve_losses, epoch)
    finally:
        p.end()
    return image


def image_array(image: QImage) -> np.ndarray:
    """An (h, w, 3) uint8 copy of an RGB888 image."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h)
    return buffer.reshape(h, stride)[:, : 3 * w].reshape(h, w, 3).copy()


def export_animation(path: str, movie: Movie, fps: float, thread: CallThread | None = None) -> int:
    """Render and encode every frame; returns the number written (fewer if cancelled, and the file removed)."""
    import imageio.v2 as iio2
    import imageio.v3 as iio

    ext = os.path.splitext(path)[1].lower()
    n = len(movie.networks)
    written = 0
    if ext == ".gif":
        writer = iio.imopen(path, "w", plugin="pillow")
        write = lambda frame: writer.write(frame, duration=1000.0 / fps, loop=0)
    elif ext == ".mp4":
        writer = iio2.get_writer(path, format="FFMPEG", mode="I", fps=fps, codec="libx264", macro_block_size=16,
                                 pixelformat="yuv420p", ffmpeg_log_level="error")
        write = writer.append_data
    else:
        raise ValueError(f"cannot export {ext or 'a file without extension'}; choose .gif or .mp4")
    try:
        for i in range(n):
            if thread is not None and thread.cancelled:
                break
            write(image_array(render_frame(movie, i)))
            written += 1
            if thread is not None:
                thread.progress(written, n)
    finally:
        writer.close()
    if written < n:
        os.remove(path)  # a cancelled export leaves nothing half-written behind
    return written


# -- the dialog -------------------------------------------------------------------------
class ExportDialog(QDialog):
    """Choose epoch range, frame count, frame rate and file; export with a cancellable progress dialog."""

    def __init__(self, history: SnapshotHistory, data: Dataset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export training animation")
        self.history, self.data = history, data
        self.thread: CallThread | None = None
        self.progress: QProgressDialog | None = None
        self.result_frames: int | None = None
        self.error: str | None = None
        last = int(history.epochs[-1]) if len(history) else 0
        self.first = self._spin(0, last, 0)
        self.last = self._spin(0, last, last)
        self.frames = self._spin(1, MAX_FRAMES, min(120, max(1, len(history))))
        self.fps = self._spin(1, 60, 15)
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.format.currentTextChanged.connect(self._format_changed)
        self.path = QLineEdit(os.path.join(os.path.expanduser("~"), "nnviz-training.gif"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("From epoch", self.first)
        form.addRow("To epoch", self.last)
        form.addRow("Frames", self.frames)
        form.addRow("Frames per second", self.fps)
        form.addRow("Format", self.format)
        form.addRow("File", row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    @staticmethod
    def _spin(lo: int, hi: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, max(lo, hi))
        spin.setValue(value)
        return spin

    def _format_changed(self, name: str) -> None:
        stem = os.path.splitext(self.path.text())[0]
        self.path.setText(stem + FORMATS[name])

    def _browse(self) -> None:
        ext = FORMATS[self.format.currentText()]
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", self.path.text(), f"*{ext}")
        if path:
            self.path.setText(path if path.lower().endswith(ext) else path + ext)

    def start(self) -> None:
        """Plan the frames here, render and encode them in a thread, show progress."""
        path = self.path.text()
        first, last = sorted((self.first.value(), self.last.value()))
        frames = plan_frames(self.history, first, last, self.frames.value())
        if not frames:
            QMessageBox.warning(self, "Export animation", "There are no snapshots to export yet.")
            return
        movie = make_movie(self.history, self.data, frames)
        fps = float(self.fps.value())
        self.thread = CallThread(lambda t: export_animation(path, movie, fps, t), self)
        self.progress = QProgressDialog(f"Writing {len(frames)} frames to {os.path.basename(path)}…", "Cancel",
                                        0, len(frames), self)
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.canceled.connect(self.thread.cancel)
        self.thread.sigProgress.connect(self._progressed)
        self.thread.sigDone.connect(self._done)
        self.thread.sigFailed.connect(self._failed)
        self.thread.finished.connect(self._finished)
        self.thread.start()

    def _progressed(self, done: int, total: int) -> None:
        if self.progress is None:
            return
        if self.progress.wasCanceled() and self.thread is not None:
            self.thread.cancel()  # however the dialog was cancelled (button, Escape, cancel())
            return
        self.progress.setValue(done)

    def _done(self, written: int) -> None:
        self.result_frames = written

    def _failed(self, message: str) -> None:
        self.error = message
        QMessageBox.warning(self, "Export animation", f"The export failed: {message}")

    def _finished(self) -> None:
        if self.thread is not None:
            self.thread.wait()
        if self.progress is not None:
            self.progress.reset()
            self.progress.deleteLater()
            self.progress = None
        self.thread = None
        if self.error is None:
            self.accept()

    def cancel_export(self) -> None:
        if self.thread is not None:
            self.thread.stop()

    def done(self, result: int) -> None:
        self.cancel_export()
        super().done(result)
