"""Deleting WeasyPrint's temporary font folders at exit (patch ``font-folder-cleanup``).

What it changes: a ``FontConfiguration`` copies the @font-face fonts it loads into a temporary
folder (``FontConfiguration._folder``) and removes it in ``__del__``; one still alive when
Python shuts down is removed too late (``rmtree`` is already gone) or never, leaving ~5 MB in
the temporary folder per build. :func:`take_folder` takes the folder off the configuration, so
Pressroom removes it at exit, while everything still works, and WeasyPrint's own clean-up has
nothing left to do.

The fallback, when the patch does not apply: nothing is taken; the configuration's own
``__del__`` removes its folder when it is collected (what WeasyPrint does without Pressroom).

What it saves: not time but disk: ~5 MB of font copies per build in the temporary folder.

Written for: WeasyPrint 70. Shape checked: ``FontConfiguration._folder`` exists (``None`` until
a font is added) and ``FontConfiguration.__del__`` removes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import Patch, applies, load_weasyprint


def _shape() -> str | None:
    load_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    if "_folder" not in vars(FontConfiguration) or FontConfiguration._folder is not None:
        return "weasyprint.text.fonts.FontConfiguration._folder is missing"
    names = FontConfiguration.__del__.__code__.co_names
    if "_folder" not in names or "rmtree" not in names:
        return "FontConfiguration.__del__ no longer removes its _folder"
    return None


PATCH = Patch("font-folder-cleanup", {"weasyprint": ("70",)}, _shape)


def take_folder(config: Any) -> Path | None:
    """The temporary font folder of ``config``, taken off it (the caller removes it); None when
    it has none or the patch does not apply."""
    if not applies(PATCH):
        return None
    folder, config._folder = getattr(config, "_folder", None), None
    return folder
