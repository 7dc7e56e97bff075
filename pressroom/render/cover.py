"""The EPUB cover: the article's own ``cover:`` image, or one generated from the layouts.

The generated cover is ``cover.html`` laid out by WeasyPrint and rasterised with PDFium to a
1600 × 2400 px JPEG, so the cover looks like the handout and works in every reading system.
JPEG, not PNG: with 4:4:4 chroma at quality 92 the title stays crisp, and encoding takes
~0.02 s where PNG takes ~0.1 s, a sixth of an article's build when many are built at once.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from pressroom.load.assets import Image, clean_svg, read_image_file
from pressroom.model import Article, BuildError, Warnings, warn
from pressroom.render.context import RenderContext
from pressroom.render.renderer import Renderer

COVER_WIDTH_PX = 1600
COVER_JPEG_QUALITY = 92


RECOMMENDED_LONG_SIDE_PX = 1600


def article_cover(article: Article, line: int | None, warnings: Warnings) -> Image:
    """The image named by the article's ``cover:`` key, checked for type and size."""
    path, data, media_type = read_image_file(article, article.meta.cover or "", "cover image", line)
    if media_type != "image/svg+xml":
        from PIL import Image as Picture
        from PIL import UnidentifiedImageError

        try:
            width, height = Picture.open(io.BytesIO(data)).size
        except (UnidentifiedImageError, OSError):
            raise BuildError(f"cover image '{article.meta.cover}' cannot be read as {media_type}", article.display_path, line) from None
        if max(width, height) < RECOMMENDED_LONG_SIDE_PX:
            message = (
                f"cover image '{article.meta.cover}' is {width} × {height} px; e-reader stores ask for at least "
                f"{RECOMMENDED_LONG_SIDE_PX} px on the long side"
            )
            warn(warnings, message, article.display_path, line)
    if media_type == "image/svg+xml":
        data, _ = clean_svg(data, article.meta.cover or "", article.display_path, line)
    suffix = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/svg+xml": ".svg", "image/webp": ".webp"}[media_type]
    return Image(f"images/cover{suffix}", media_type, data, path)


def _cover_key(article: Article, search_path: tuple[Path, ...], renderer: Renderer) -> tuple[Any, ...]:
    """What a generated cover depends on: the title block and the layouts."""
    meta = article.meta
    return (
        meta.title,
        meta.subtitle,
        meta.authors,
        meta.editors,
        meta.publisher,
        meta.event,
        meta.date,
        meta.lang,
        search_path,
        renderer.layouts_digest(search_path),
    )


def _stored_path(key: tuple[Any, ...], folder: Path | None, renderer: Renderer) -> Path | None:
    if folder is None:
        return None
    digest = hashlib.sha256(json.dumps([*key, renderer.code_digest()], default=str).encode()).hexdigest()[:32]
    return folder / f"cover-{digest}.jpg"


def _look_up(
    article: Article, search_path: tuple[Path, ...], folder: Path | None, renderer: Renderer
) -> tuple[tuple[Any, ...], Path | None, Image | None]:
    """The cover's key, the file it is kept in (given a cache ``folder``), and the cover when it
    is already drawn: remembered by the renderer, or kept in that file."""
    key = _cover_key(article, search_path, renderer)
    if key in renderer.covers:
        return key, None, renderer.covers[key]
    stored = _stored_path(key, folder, renderer)
    try:
        data = stored.read_bytes() if stored else b""
    except OSError:
        data = b""
    if data.startswith(b"\xff\xd8") and data.endswith(b"\xff\xd9"):  # a JPEG from start to end marker
        renderer.covers.clear()
        image = renderer.covers[key] = Image("images/cover.jpg", "image/jpeg", data)
        return key, stored, image
    return key, stored, None


def generated_cover(article: Article, context: RenderContext) -> Image:
    """Lay out ``cover.html`` and rasterise its first page to JPEG.

    The cover depends only on the article's title block and the layouts, so it is remembered per
    process (a watched article whose text changes keeps its cover) and, given a cache ``folder``,
    on disk: a rebuild after an edit to the text does not draw it again. A cover whose drawing
    raised warnings is not stored, so the warnings come back on every build.
    """
    renderer, warnings = context.renderer, context.warnings
    key, stored, image = _look_up(article, context.search_path, context.covers, renderer)
    if image is None:
        before = len(warnings)
        image = _render_cover(article, context)
        if stored and len(warnings) == before:
            from pressroom.store.files import write_atomic

            try:
                write_atomic(stored, image.data)
            except OSError:
                pass  # an unwritable cache only costs the next build this cover
        renderer.covers.clear()
        renderer.covers[key] = image
    return image


#: The sizes (pt) of title, subtitle and byline, and the longest title each title size is for.
TITLE_SIZES = ((32, 44.0), (60, 38.0), (100, 32.0), (150, 27.0), (10**9, 23.0))
#: Each layout that does not fit sets every size smaller by this factor, up to FIT_STEPS times.
FIT_FACTOR = 0.86
FIT_STEPS = 5
COVER_EDGE_PT = 18.0  # no character closer to the cover's edge than a quarter inch
COVER_FOOT_PX = 0.55 * 96  # cover.css: .cover's bottom padding, in CSS px (the unit of WeasyPrint's layout)


def cover_type(article: Article, step: int = 0) -> dict[str, Any]:
    """The sizes the cover sets its text in: by the length of the title and the number of
    authors, then ``FIT_FACTOR`` smaller for each ``step`` (a layout that did not fit); after
    ``FIT_STEPS`` smaller sizes, the smallest again with words broken where they must be."""
    meta = article.meta
    title = next(size for longest, size in TITLE_SIZES if len(meta.title) <= longest)
    subtitle = min(18.0, max(13.0, title * 0.5))
    names = len(meta.authors) or len(meta.editors)
    byline = 16.0 if names <= 3 else 14.0 if names <= 6 else 12.5
    scale = FIT_FACTOR ** min(step, FIT_STEPS - 1)
    sizes = {"title": round(title * scale, 2), "subtitle": round(subtitle * scale, 2), "byline": round(byline * scale, 2)}
    return {**sizes, "break_words": step >= FIT_STEPS}  # the last layout may break words


def cover_fits(rendered: Any) -> bool:
    """Whether a laid-out cover holds everything on its one page: the heading ends above the
    foot, and the foot ends above the page's bottom margin."""
    if len(rendered.pages) != 1:
        return False
    page = rendered.pages[0]
    anchors = page.anchors  # id -> (left, top, right, bottom) in CSS px
    marks = [anchors.get(name) for name in ("cover-heading-end", "cover-foot", "cover-foot-end")]
    if not any(marks):  # a project's own cover.html without the marks: nothing to check it by
        return True
    if not all(marks):  # a mark pushed off the page
        return False
    heading_end, foot, foot_end = (mark[1] for mark in marks if mark)
    return heading_end <= foot + 0.5 and foot_end <= page.height - COVER_FOOT_PX + 0.5


def text_inside(pdf: bytes, margin: float = COVER_EDGE_PT) -> bool:
    """Whether every character of a one-page PDF is drawn at least ``margin`` points inside the
    page (a word too long for its line, or a script the layout cannot break, runs over the edge)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        width, height = page.get_width(), page.get_height()
        text = page.get_textpage()
        boxes = [text.get_charbox(index) for index in range(text.count_chars())]
    finally:
        document.close()
    return all(
        left >= margin and right <= width - margin and bottom >= margin and top <= height - margin
        for left, bottom, right, top in boxes
        if right > left  # spaces and line ends have no box
    )


def cover_pdf(article: Article, context: RenderContext) -> bytes:
    """The cover laid out as a one-page PDF: set at the sizes for its text, and smaller again
    (a few layouts at most) while the title, subtitle and authors do not fit the page: every part
    in its place, every character inside the page."""
    from pressroom.render.handout import render_html, write_pdf
    from pressroom.render.layouts import render

    for step in range(FIT_STEPS + 1):
        html = render(context.search_path, "cover.html", meta=article.meta, type=cover_type(article, step))
        rendered = render_html(html, article, context.sandbox, context.warnings, context.search_path)
        placed = cover_fits(rendered)
        if placed or step == FIT_STEPS:
            pdf = write_pdf(rendered, "none")
            if placed and text_inside(pdf):
                return pdf
    warn(context.warnings, "the cover cannot hold the whole title and every author: shorten the title", article.display_path)
    return pdf


def _render_cover(article: Article, context: RenderContext) -> Image:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(cover_pdf(article, context))
    try:
        page = pdf[0]
        width_pt = page.get_width()
        # RGBX straight from PDFium: PIL shares the buffer and the JPEG encoder reads it as RGB,
        # no conversion copies (0.08 s -> 0.045 s per cover; the same bytes).
        # The picture is encoded while the document (and the bitmap it shares) is still open.
        bitmap = page.render(scale=COVER_WIDTH_PX / width_pt, rev_byteorder=True, prefer_bgrx=True)
        buffer = io.BytesIO()
        bitmap.to_pil().save(buffer, format="JPEG", quality=COVER_JPEG_QUALITY, subsampling=0)
    finally:
        pdf.close()
    return Image("images/cover.jpg", "image/jpeg", buffer.getvalue())


def make_cover(article: Article, context: RenderContext) -> Image:
    """The cover for this article's EPUB (a generated one is kept in the context's ``covers``
    folder when it has one)."""
    if article.meta.cover:
        image = article_cover(article, article.key_lines.get("cover"), context.warnings)
        context.sandbox.reads.append(str(image.source))
        return image
    return generated_cover(article, context)
