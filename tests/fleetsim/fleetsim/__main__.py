# Allows `python -m fleetsim serve ...` next to the `fleetsim` console script.
from __future__ import annotations

import sys

from fleetsim.cli import main

sys.exit(main())
