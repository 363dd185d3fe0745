"""nnviz: watch a small neural network learn, and see how it learns."""

__version__ = "0.1.0"
