"""What the window remembers between runs (QSettings): geometry, the last set-up, recent files."""

from __future__ import annotations

import json
import os

from PySide6.QtCore import QByteArray, QSettings

from nnviz.core.errors import ConfigError
from nnviz.core.setup import Setup

MAX_RECENT = 8


class SettingsStore:
    """A thin typed layer over ``QSettings``; pass one built on a temporary file in tests."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings("nnviz", "nnviz")

    # -- window ----------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.qsettings.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def window_state(self) -> QByteArray | None:
        value = self.qsettings.value("window/state")
        return value if isinstance(value, QByteArray) else None

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    # -- the set-up ------------------------------------------------------------------
    def setup(self) -> Setup:
        """The last set-up, or the tutorial's when there is none or it is unusable."""
        text = self.qsettings.value("session/setup")
        if not isinstance(text, str):
            return Setup()
        try:
            return Setup.from_dict(json.loads(text))
        except (ValueError, ConfigError, TypeError, AttributeError):
            return Setup()

    def save_setup(self, setup: Setup) -> None:
        self.qsettings.setValue("session/setup", json.dumps(setup.to_dict()))

    def int_value(self, key: str, default: int) -> int:
        try:
            return int(self.qsettings.value(key, default))
        except (TypeError, ValueError):
            return default

    def bool_value(self, key: str, default: bool) -> bool:
        value = self.qsettings.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    def choice_value(self, key: str, choices: tuple[str, ...], default: str) -> str:
        """A saved name, if it is still one of ``choices`` (a settings file may be old or edited)."""
        value = self.qsettings.value(key, default)
        return value if value in choices else default

    def set_value(self, key: str, value) -> None:
        self.qsettings.setValue(key, value)

    # -- files -----------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        value = self.qsettings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [p for p in (value or []) if isinstance(p, str)][:MAX_RECENT]

    def add_recent_file(self, path: str) -> list[str]:
        path = os.path.abspath(path)
        recent = [path] + [p for p in self.recent_files() if p != path]
        self.qsettings.setValue("files/recent", recent[:MAX_RECENT])
        return recent[:MAX_RECENT]

    def remove_recent_file(self, path: str) -> None:
        self.qsettings.setValue("files/recent", [p for p in self.recent_files() if p != path])

    def last_directory(self) -> str:
        value = self.qsettings.value("files/directory", "")
        return value if isinstance(value, str) and os.path.isdir(value) else os.getcwd()

    def set_last_directory(self, path: str) -> None:
        self.qsettings.setValue("files/directory", os.path.dirname(os.path.abspath(path)))

    def sync(self) -> None:
        self.qsettings.sync()
