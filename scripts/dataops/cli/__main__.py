"""``python -m dataops.cli``: the benchmarks run the commands as child processes this way."""

import sys

from dataops.cli import main

sys.exit(main())
