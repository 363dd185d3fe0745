"""``python -m nnviz``: the same front door as the ``nnviz`` command."""

import sys

from nnviz.cli import main

sys.exit(main())
