"""Seeing when Qt paints something: a widget's ``paintEvent`` or a graphics item's ``paint``."""

from __future__ import annotations

from collections.abc import Callable


def on_paint(obj, record: Callable[[], object], method: str = "paintEvent") -> None:
    """Call ``record()`` each time Qt paints ``obj``, just before it paints."""
    original = getattr(obj, method)

    def paint(*args):
        record()
        return original(*args)

    setattr(obj, method, paint)
