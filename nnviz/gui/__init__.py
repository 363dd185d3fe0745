"""The nnviz window: PySide6 and pyqtgraph views over the core's trainer, which runs in a worker thread."""
