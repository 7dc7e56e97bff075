"""Build every article in content/ into dist/ (see README.md, or run with --help)."""

from pressroom.cli import main

raise SystemExit(main(exiting=True))
