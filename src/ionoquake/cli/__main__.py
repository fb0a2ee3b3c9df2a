"""``python -m ionoquake.cli``."""

from ionoquake.cli import main

main()
