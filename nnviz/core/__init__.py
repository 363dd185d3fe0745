"""The engine of nnviz: NumPy only, never Qt.

Everything the command line and the tests need lives here; the window in
``nnviz.gui`` drives the same objects from a worker thread.
"""
