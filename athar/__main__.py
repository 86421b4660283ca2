"""Allow ``python -m athar``."""

from athar.cli import main

main()
