"""Run the command line: ``python -m service``."""

from service.cli import main

main()
