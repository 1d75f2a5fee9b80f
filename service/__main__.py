"""Run the command line: ``python -m service``."""

from service.cli.main import main

main()
