"""``python -m congvan.service.cli`` = ``congvan``."""
import sys

from congvan.service.cli import main

sys.exit(main())
