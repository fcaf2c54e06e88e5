"""``python -m lapor_gateway.call_centre FILE.csv``: import a call centre's CSV export (see ``cli``)."""

import sys

from lapor_gateway.call_centre.cli import main

sys.exit(main())
