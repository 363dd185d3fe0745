from __future__ import annotations

import sys

from nnviz.gui import gil


def test_the_last_trainer_to_stop_restores_the_interval():
    before = sys.getswitchinterval()
    main, compare = object(), object()
    gil.hold_fast(main, 0.0005)
    gil.hold_fast(compare, 0.001)
    assert sys.getswitchinterval() == 0.0005
    gil.release_fast(main)  # the main window pauses while comparison runs still train
    assert sys.getswitchinterval() == 0.001
    gil.release_fast(main)  # twice is harmless
    gil.release_fast(compare)
    assert sys.getswitchinterval() == before
