"""nnviz: watch a small neural network learn, and see how it learns."""

import os

__version__ = "0.1.0"

# OpenBLAS starts a thread per core for every matrix product big enough, and this
# app's products are small while the training thread and the GUI thread already
# share the cores: the boundary image's (25,600 x 16) @ (16 x 8) product took 8 ms
# with OpenBLAS's threads on a busy 2-core machine and 0.2 ms without them.  Set
# before NumPy loads (a value the user sets wins).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
del _variable
