"""``python -m congvan.service.cli`` = ``congvan``."""
import sys

from congvan.service.cli import main

if __name__ == "__main__":  # a spawned worker process imports this module again: do nothing there
    sys.exit(main())
