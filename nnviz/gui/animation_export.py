"""Export training as an animated GIF or MP4: decision boundary, network diagram and loss curve.

Every frame is painted with ``QPainter`` onto a ``QImage``, which Qt allows
off the GUI thread (widgets are not), so the whole export runs as a
background job (``jobs.py``) while the dialog shows progress and can cancel it.
Frames come from the weight snapshots of ``SnapshotHistory``: frame i shows
the newest snapshot at or before its epoch, labelled with that snapshot's
real epoch.  Encoding is imageio's: Pillow for GIF, imageio-ffmpeg for MP4.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
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
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)

from nnviz.core.datasets import Dataset
from nnviz.core.errors import Interrupted, NnvizError
from nnviz.core.network import Network
from nnviz.core.plane import plane_points, square_bounds
from nnviz.core.snapshots import SnapshotHistory
from nnviz.gui import jobs, theme

WIDTH, HEIGHT = 960, 384  # multiples of 16, so ffmpeg encodes them as they are
HEADER = 40
RESOLUTION = 96  # boundary pixels per side
MAX_FRAMES = 2000
LOSS_ROWS = 4096  # rows per block of the frame's loss
FORMATS = {"GIF": ".gif", "MP4": ".mp4"}


@dataclass
class Frame:
    index: int  # snapshot index in the history
    epoch: int  # the snapshot's epoch (what the frame shows)


DIAGRAM_MODES = {"Weights": "weights", "Gradients (dL/dw)": "gradients"}


@dataclass
class Movie:
    """Everything an export needs, copied so the GUI may go on changing its own state."""

    networks: list[Network]
    epochs: list[int]
    data: Dataset
    curve_epochs: np.ndarray  # the loss curve drawn under the frames
    curve_losses: np.ndarray
    diagram_mode: str = "weights"  # or "gradients": each line's dL/dw over every training point


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


def make_movie(history: SnapshotHistory, data: Dataset, frames: list[Frame], diagram_mode: str = "weights") -> Movie:
    networks = {f.index: history.network(f.index) for f in frames}
    finite = np.isfinite(history.losses) & (history.losses > 0)
    return Movie([networks[f.index] for f in frames], [f.epoch for f in frames], data.copy(),
                 history.epochs[finite].copy(), history.losses[finite].copy(), diagram_mode)


# -- painting ---------------------------------------------------------------------
def _never() -> bool:
    return False


def _value_range(data: Dataset) -> tuple[float, float]:
    """A regression's colour scale: its targets' range (as the window's boundary view has it)."""
    targets = np.concatenate([data.y.ravel(), data.y_test.ravel()])
    lo, hi = float(targets.min()), float(targets.max())
    return (lo - 1.0, hi + 1.0) if hi - lo < 1e-9 else (lo, hi)


def _boundary_image(network: Network, bounds, data: Dataset) -> QImage:
    with np.errstate(all="ignore"):
        p = network.predict(plane_points(bounds, RESOLUTION))
    if network.regression:
        lo, hi = _value_range(data)
        scaled = np.clip((np.nan_to_num(p[:, 0], nan=(lo + hi) / 2) - lo) / (hi - lo), 0, 1)
        rgb = theme.value_colormap().map(scaled.reshape(RESOLUTION, RESOLUTION), mode="byte")[..., :3]
    elif p.shape[1] > 1:
        k = p.shape[1]
        probabilities = np.nan_to_num(p, nan=1.0 / k).reshape(RESOLUTION, RESOLUTION, k)
        rgb = theme.class_image(probabilities)[..., :3]
    else:
        p = np.nan_to_num(p, nan=0.5).reshape(RESOLUTION, RESOLUTION)
        rgb = theme.probability_colormap().map(np.clip(p, 0, 1), mode="byte")[..., :3]
    rgb = np.ascontiguousarray(rgb[::-1], dtype=np.uint8)  # row 0 of the image is the top (ymax)
    image = QImage(rgb.data, RESOLUTION, RESOLUTION, 3 * RESOLUTION, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: ``rgb`` dies with this function


def paint_boundary(p: QPainter, rect: QRectF, network: Network, data: Dataset) -> None:
    bounds = square_bounds(data)
    xmin, xmax, ymin, ymax = bounds
    side = min(rect.width(), rect.height())
    square = QRectF(rect.x() + (rect.width() - side) / 2, rect.y() + (rect.height() - side) / 2, side, side)
    p.drawImage(square, _boundary_image(network, bounds, data))
    p.setPen(QPen(QColor(theme.MUTED), 1))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(square)

    def to_px(x: float, y: float) -> QPointF:
        return QPointF(square.x() + (x - xmin) / (xmax - xmin) * side,
                       square.bottom() - (y - ymin) / (ymax - ymin) * side)

    radius = 6.0 if len(data.X) <= 50 else 3.5 if len(data.X) <= 400 else 2.0
    p.setPen(QPen(QColor(theme.INK), 1))
    if data.regression:  # each point in its target's colour, as in the window
        lo, hi = _value_range(data)
        colours = theme.value_colormap().map(np.clip((data.y[:, 0] - lo) / (hi - lo), 0, 1), mode="byte")
        for (x, y), c in zip(data.X, colours):
            p.setBrush(QColor(int(c[0]), int(c[1]), int(c[2])))
            p.drawEllipse(to_px(x, y), radius, radius)
        return
    for label in range(data.classes):
        p.setBrush(QColor(theme.CLASS_COLOURS[label]))
        for x, y in data.X[data.y[:, 0] == label]:
            p.drawEllipse(to_px(x, y), radius, radius)


def paint_diagram(p: QPainter, rect: QRectF, network: Network,
                  cancelled: Callable[[], bool] = _never, gradient: np.ndarray | None = None) -> None:
    """The network's units and lines; with ``gradient`` (laid out like params) the lines show it instead.

    Weights are scaled to the largest |w|, gradients to the largest |dL/dw| (as in the window).
    """
    layers = network.layers
    n_layers = len(layers)
    xs = [rect.x() + rect.width() * (k + 0.5) / n_layers for k in range(n_layers)]

    def ys(n: int) -> list[float]:
        gap = min(rect.height() / max(n, 1), 44.0)
        top = rect.center().y() - gap * (n - 1) / 2
        return [top + gap * i for i in range(n)]

    pos = [[QPointF(xs[k], y) for y in ys(n)] for k, n in enumerate(layers)]
    shown = network.W
    if gradient is not None:
        flat = network.copy()  # the same architecture, features and all, holding the gradient
        flat.params[:] = gradient
        shown = flat.W
    biggest = max(float(np.nan_to_num(np.abs(W)).max()) for W in shown) or 1.0
    for k, W in enumerate(shown):
        if cancelled():  # 64 x 64 lines per layer take a while
            raise ExportCancelled
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


class ExportCancelled(Exception):
    """Raised inside ``render_frame`` when its export is cancelled mid-frame."""


def loss_in_blocks(network: Network, data: Dataset, cancelled: Callable[[], bool]) -> float:
    """The loss over every point, in blocks of rows (``ExportCancelled`` between blocks when cancelled)."""
    try:
        return network.evaluate(data.X, data.y, LOSS_ROWS, cancelled)[0]
    except Interrupted:
        raise ExportCancelled from None


def render_frame(movie: Movie, i: int, cancelled: Callable[[], bool] = _never) -> QImage:
    """Frame ``i`` of ``movie`` as an RGB image of WIDTH x HEIGHT (safe off the GUI thread).

    ``cancelled`` is asked between the frame's parts, which on big data and
    networks take a good part of a second each; ExportCancelled is raised.
    """
    network, epoch = movie.networks[i], movie.epochs[i]
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB888)
    image.fill(QColor("#ffffff"))
    p = QPainter(image)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # the boundary is scaled up
        loss = loss_in_blocks(network, movie.data, cancelled)
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
        if cancelled():
            raise ExportCancelled
        gradient = None
        if movie.diagram_mode == "gradients":
            with np.errstate(all="ignore"):
                gradient = network.gradient(movie.data.X, movie.data.y)
        paint_diagram(p, QRectF(16 + panel, top, panel, height), network, cancelled, gradient)
        p.setPen(QColor(theme.MUTED))
        p.setFont(small)
        p.drawText(QRectF(16 + panel, top + height - 16, panel, 16), Qt.AlignmentFlag.AlignHCenter,
                   "lines: dL/dw (blue +, orange −)" if gradient is not None else "lines: weights (blue +, orange −)")
        if cancelled():
            raise ExportCancelled
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


class ExportPathError(NnvizError, ValueError):
    """The file chosen for an export cannot be written; nothing was started."""


def export_path(text: str, format_name: str) -> str:
    """The file an export writes, from what the user typed; raises ExportPathError, one line.

    A name without the format's extension gets it ("run" or "run.v2" becomes
    "run.gif"/"run.v2.gif"), so a file never fails later for want of one.  A
    symbolic link is followed: the file it points to is replaced, the link stays.
    """
    ext = FORMATS[format_name]
    path = os.path.expanduser(text.strip())
    if not path:
        raise ExportPathError("Choose a file to export to.")
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise ExportPathError(f"{path} is a folder; add a file name.")
    given = os.path.splitext(path)[1].lower()
    if given in FORMATS.values() and given != ext:
        raise ExportPathError(f"{os.path.basename(path)} ends in {given}, but the format is {format_name}; "
                              "change one of them.")
    if given != ext:
        path += ext
    path = os.path.realpath(path)
    if os.path.exists(path) and not os.path.isfile(path):
        raise ExportPathError(f"{path} is not a regular file; choose another name.")
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ExportPathError(f"There is no folder {folder}.")
    if not os.access(folder, os.W_OK):
        raise ExportPathError(f"The folder {folder} cannot be written to.")
    return path


def export_animation(path: str, movie: Movie, fps: float, job=None) -> int:
    """Render and encode every frame to ``path``; returns the number of frames written.

    ``job`` (a ``jobs.Job``, or anything with ``cancelled`` and ``progress``)
    can cancel between frames.  The frames go to a temporary file beside
    ``path``, which replaces it only once complete: a cancelled or failed
    export leaves whatever was at ``path`` as it was, and no partial file.
    """
    import imageio.v2 as iio2
    import imageio.v3 as iio

    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS.values():
        raise ExportPathError(f"cannot export {ext or 'a file without extension'}; choose .gif or .mp4")
    n = len(movie.networks)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=f".part{ext}",
                               dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    written = 0
    try:
        if ext == ".gif":
            writer = iio.imopen(tmp, "w", plugin="pillow", extension=ext)
            write = lambda frame: writer.write(frame, duration=1000.0 / fps, loop=0)
        else:
            writer = iio2.get_writer(tmp, format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                     macro_block_size=16, pixelformat="yuv420p", ffmpeg_log_level="error")
            write = writer.append_data
        try:
            cancelled = _never if job is None else (lambda: job.cancelled)
            for i in range(n):
                try:
                    frame = render_frame(movie, i, cancelled)
                except ExportCancelled:
                    break
                write(image_array(frame))
                written += 1
                if job is not None:
                    job.progress(written, n)
        finally:
            writer.close()
        if written == n:
            # mkstemp made the file private; give it the mode a plain new file would have.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return written


# -- the dialog -------------------------------------------------------------------------
class ExportDialog(QDialog):
    """Choose epoch range, frame count, frame rate and file; export with progress and Cancel.

    The export runs as a ``jobs.Job``: it holds copies of the frames' data and
    no reference to this dialog, so the dialog may be cancelled, closed or
    deleted at any moment.  Progress shows in a bar inside the dialog (a modal
    ``QProgressDialog`` runs a nested event loop in ``setValue``, during which
    the dialog could be deleted under it).  Closing the dialog cancels the export.
    """

    def __init__(self, history: SnapshotHistory, data: Dataset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export training animation")
        self.history, self.data = history, data
        self.job: jobs.Job | None = None
        self.result_frames: int | None = None
        self.error: str | None = None
        self._planned = 0
        last = int(history.epochs[-1]) if len(history) else 0
        self.first = self._spin(0, last, 0)
        self.last = self._spin(0, last, last)
        self.frames = self._spin(1, MAX_FRAMES, min(120, max(1, len(history))))
        self.fps = self._spin(1, 60, 15)
        self.diagram_mode = QComboBox()
        self.diagram_mode.addItems(list(DIAGRAM_MODES))
        self.diagram_mode.setToolTip("What the lines of the network diagram show in each frame")
        self.format = QComboBox()
        self.format.addItems(list(FORMATS))
        self.format.currentTextChanged.connect(self._format_changed)
        self.path = QLineEdit(os.path.join(os.path.expanduser("~"), "nnviz-training.gif"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.progress_bar = QProgressBar()
        self.progress_bar.setFormat("frame %v of %m")
        self.message = QLabel()
        self.message.setWordWrap(True)
        form = self._form = QFormLayout(self)
        form.addRow("From epoch", self.first)
        form.addRow("To epoch", self.last)
        form.addRow("Frames", self.frames)
        form.addRow("Frames per second", self.fps)
        form.addRow("Diagram lines", self.diagram_mode)
        form.addRow("Format", self.format)
        form.addRow("File", row)
        form.addRow(self.progress_bar)
        form.addRow(self.message)
        form.setRowVisible(self.progress_bar, False)  # rows, not only widgets: no empty gap
        form.setRowVisible(self.message, False)
        self._inputs = (self.first, self.last, self.frames, self.fps, self.diagram_mode, self.format, self.path,
                        browse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self._cancel_clicked)
        form.addRow(buttons)

    @staticmethod
    def _spin(lo: int, hi: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, max(lo, hi))
        spin.setValue(value)
        return spin

    def _format_changed(self, name: str) -> None:
        stem, ext = os.path.splitext(self.path.text())
        self.path.setText((stem if ext.lower() in FORMATS.values() else self.path.text()) + FORMATS[name])

    def _browse(self) -> None:
        ext = FORMATS[self.format.currentText()]
        path, _ = QFileDialog.getSaveFileName(self, "Export animation", self.path.text(), f"*{ext}")
        if path:
            self.path.setText(path if path.lower().endswith(ext) else path + ext)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self._form.setRowVisible(self.message, bool(text))

    @property
    def exporting(self) -> bool:
        return self.job is not None

    def start(self) -> None:
        """Check the file name, plan the frames here, render and encode them in a job."""
        if self.exporting:
            return
        try:
            path = export_path(self.path.text(), self.format.currentText())
        except ExportPathError as exc:
            self._say(str(exc))
            return
        first, last = sorted((self.first.value(), self.last.value()))
        frames = plan_frames(self.history, first, last, self.frames.value())
        if not frames:
            self._say("There are no snapshots to export yet.")
            return
        self.path.setText(path)
        movie = make_movie(self.history, self.data, frames, DIAGRAM_MODES[self.diagram_mode.currentText()])
        fps = float(self.fps.value())
        self.result_frames, self.error, self._planned = None, None, len(frames)
        self.job = jobs.Job(lambda job: export_animation(path, movie, fps, job),
                            f"Exporting animation to {os.path.basename(path)}", unit="frame",
                            ask_before_quit=True)
        self.job.sigProgress.connect(self._progressed)
        self.job.sigDone.connect(self._done)
        self.job.sigFailed.connect(self._failed)
        self.job.finished.connect(self._finished)
        self.progress_bar.setRange(0, len(frames))
        self.progress_bar.setValue(0)
        self._form.setRowVisible(self.progress_bar, True)
        self._say(f"Writing {len(frames)} frames to {os.path.basename(path)}…")
        for widget in self._inputs:
            widget.setEnabled(False)
        self.export_button.setEnabled(False)
        self.job.start()

    def _progressed(self, done: int, total: int) -> None:
        self.progress_bar.setValue(done)

    def _done(self, written: int) -> None:
        self.result_frames = written

    def _failed(self, message: str) -> None:
        self.error = message

    def _finished(self) -> None:
        self.job = None
        for widget in self._inputs:
            widget.setEnabled(True)
        self.export_button.setEnabled(True)
        self._form.setRowVisible(self.progress_bar, False)
        if self.error is not None:
            self._say(f"The export failed: {self.error}")
        elif self.result_frames != self._planned:  # a cancel that came after the last frame still wrote it
            self._say("Export cancelled; no file was written.")
        else:
            self._say("")
            self.accept()

    def cancel_export(self) -> None:
        """Ask a running export to stop; returns at once (the file is not written)."""
        if self.job is not None:
            self.job.cancel()
            self._say("Cancelling…")

    def _cancel_clicked(self) -> None:
        # During an export, Cancel stops the export and keeps the dialog open.
        if self.exporting:
            self.cancel_export()
        else:
            self.reject()

    def done(self, result: int) -> None:
        # However the dialog goes (Escape, its close button, reject, accept), a running export stops.
        self.cancel_export()
        super().done(result)
