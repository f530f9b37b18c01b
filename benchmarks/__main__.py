"""``python -m benchmarks``: the same as ``allocator bench``."""
import sys

from . import main

sys.exit(main())
