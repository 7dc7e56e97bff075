"""Build every article in content/ into dist/ (see README.md, or run with --help)."""

from pressroom.cli import run

run()
