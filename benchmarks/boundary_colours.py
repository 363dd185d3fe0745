"""GUI-thread cost per frame of the decision boundary's colours: K classes, and a regression's values.

For each case a network is built (the plane sampler's 160 x 160 image, as
the training thread sends it every frame) and the view's work on the GUI
thread is timed: for K softmax classes the RGBA image made from the class
probabilities (``theme.class_image``), and for each case ``set_image`` on a
real ``BoundaryView`` (which includes pyqtgraph's own work on the image).
One line per case::

    case=<name> colours_ms=<median> colours_p99_ms=<f> set_image_ms=<median>

Target: colours_ms <= 2 for K = 8.

    QT_QPA_PLATFORM=offscreen python benchmarks/boundary_colours.py [--repeats 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _times(fn, repeats: int) -> np.ndarray:
    out = np.empty(repeats)
    for i in range(repeats):
        t0 = time.perf_counter()
        fn()
        out[i] = (time.perf_counter() - t0) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from nnviz.core import datasets
    from nnviz.core.plane import PlaneSampler, square_bounds
    from nnviz.core.setup import ModelSpec, fit_model
    from nnviz.gui import theme
    from nnviz.gui.boundary_view import BoundaryView

    app = QApplication.instance() or QApplication([])
    view = BoundaryView()
    view.resize(640, 640)
    view.show()
    lookup = theme.class_lookup(8)
    cases = [("binary spiral", datasets.generate("spiral", 400))]
    cases += [(f"spiral, {k} classes", datasets.generate("spiral", 400, classes=k)) for k in (3, 5, 8)]
    cases += [("bumps (regression)", datasets.generate("bumps", 400))]
    for name, data in cases:
        network = fit_model(ModelSpec(hidden=(16, 16), init="xavier"), data)[0].build()
        bounds = square_bounds(data)
        image = PlaneSampler().image(network, bounds)
        view.set_data(data)
        colours = (_times(lambda: theme.class_image(image, lookup), args.repeats) if image.ndim == 3
                   else np.full(1, np.nan))

        def show() -> None:
            view.set_image(image, bounds, network.regression)
            view.image.render()  # pyqtgraph's conversion to a QImage, as a repaint does

        shown = _times(show, args.repeats)
        app.processEvents()
        print(f"case={name.replace(' ', '_').replace(',', '')} colours_ms={np.median(colours):.3f} "
              f"colours_p99_ms={np.percentile(colours, 99):.3f} set_image_ms={np.median(shown):.3f}",
              flush=True)


if __name__ == "__main__":
    main()
