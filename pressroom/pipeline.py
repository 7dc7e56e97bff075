"""Orders the stages for one article and for many: load → convert → layout → write.

Everything for an article is gathered and checked before anything is written; each output is
written to a temporary file beside its final name and renamed into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Project, find_project_root, load_project
from .content import Article, display_path, load_article
from .errors import BuildError, ConfigError, Diagnostic, Warnings


@dataclass
class ArticleResult:
    """What building one article produced: files written, warnings, or the error that stopped it."""

    source: Path
    outputs: list[Path] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def build_time(article: Article) -> dt.datetime:
    """The time a build stamps on its outputs: ``SOURCE_DATE_EPOCH``, else the article's mtime."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            seconds = int(epoch)
        except ValueError:
            raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}") from None
    else:
        seconds = int(article.source.stat().st_mtime)
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


STALE_TEMPORARY_SECONDS = 3600


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files a killed build left beside ``path`` (only old ones: a build running
    at the same time may be writing a fresh one)."""
    now = time.time()
    for leftover in path.parent.glob(f".{path.name}.*.part"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                leftover.unlink()
        except OSError:
            pass


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def project_for(source: Path, default: Project, warnings: Warnings) -> Project:
    """The project an article belongs to: the one being built, or the nearest one around it."""
    source = source.resolve()
    if source.is_relative_to(default.root):
        return default
    root = find_project_root(source.parent) or source.parent
    return load_project(root, warnings)


def build_article(
    source: Path,
    project: Project,
    out_dir: Path,
    formats: Iterable[str],
    overrides: Mapping[str, Any],
) -> ArticleResult:
    """Build one article into ``out_dir``; content problems come back as diagnostics, not exceptions."""
    result = ArticleResult(source)
    formats = tuple(formats)
    try:
        own_project = project_for(source, project, result.warnings)
        article = load_article(source, own_project.root, own_project.defaults, overrides, result.warnings)
        outputs = render_outputs(article, own_project, formats, result.warnings)
        for suffix, data in outputs.items():
            target = out_dir / f"{article.meta.slug}.{suffix}"
            write_atomic(target, data)
            result.outputs.append(target)
    except ConfigError as exc:
        result.errors.extend(exc.diagnostics)
    except BuildError as exc:
        diagnostic = exc.diagnostic
        if diagnostic.path is None:
            diagnostic = Diagnostic("error", exc.message, display_path(source))
        result.errors.append(diagnostic)
    return result


def render_outputs(article: Article, project: Project, formats: tuple[str, ...], warnings: Warnings) -> dict[str, bytes]:
    """All requested outputs of one article, in memory (nothing is written until all succeed)."""
    from .convert import convert

    sandbox, search_path = project.sandbox, project.layout_search_path
    document = convert(article, sandbox, warnings)
    when = build_time(article)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    dates = {"created": article.meta.date.isoformat() if article.meta.date else stamp, "modified": stamp}
    outputs: dict[str, bytes] = {}
    from .pagemap import page_starts
    from .pdf import layout_handout, write_pdf

    # The EPUB's page-list needs the print layout too, so it is laid out once for both.
    handout = layout_handout(article, document, search_path, sandbox, dates, warnings)
    if "pdf" in formats:
        outputs["pdf"] = write_pdf(handout)
    if "epub" in formats:
        from .cover import make_cover
        from .epub import build_epub

        cover = make_cover(article, search_path, sandbox, warnings)
        starts = page_starts(handout.pages)
        outputs["epub"] = build_epub(article, document, cover, search_path, when, len(handout.pages), starts)
    return outputs
