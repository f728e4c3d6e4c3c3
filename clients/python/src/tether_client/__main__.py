"""``python3 -m tether_client HOST:PORT``: the example program."""

import sys

from .example import main

sys.exit(main())
