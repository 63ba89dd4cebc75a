import sys

from krm_fn.cli import main

sys.exit(main())
