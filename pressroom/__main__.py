"""``python -m pressroom``: the same command as the installed ``pressroom`` and ``build.py``."""

from pressroom.cli import run

run()
