"""The e-reader edition: layout XHTML → ebooklib package → a reproducible EPUB 3.

ebooklib writes the package document and the NCX. The content documents and the navigation
document come from the shared layouts as finished XHTML (ebooklib would re-parse and drop their
``<head>``), and the zip is rewritten with fixed dates and order so the bytes are reproducible.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ebooklib import epub
from lxml import etree

from pressroom.convert.language import language
from pressroom.convert.markdown import Document, Heading
from pressroom.convert.pagemap import PageStart
from pressroom.load.articles import stable_identifier
from pressroom.load.assets import Image
from pressroom.load.metadata import paper_name
from pressroom.model import Article, BuildError
from pressroom.render.chapters import split_chapters
from pressroom.render.layouts import LayoutFiles, markup, render, theme_css

XHTML = "application/xhtml+xml"
STYLESHEET = "style/epub.css"
CHAPTER = "chapter.xhtml"


@dataclass
class TocEntry:
    """One entry of the table of contents, with its sub-entries."""

    title: str
    href: str
    children: list[TocEntry] = field(default_factory=list)


def nest_headings(headings: tuple[Heading, ...], files: dict[str, str]) -> list[TocEntry]:
    """Headings in document order → a tree by level (a deeper heading nests under the one before)."""
    root: list[TocEntry] = []
    stack: list[tuple[int, TocEntry]] = []
    for heading in headings:
        entry = TocEntry(heading.text, f"{files.get(heading.id, CHAPTER)}#{heading.id}")
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        (stack[-1][1].children if stack else root).append(entry)
        stack.append((heading.level, entry))
    return root


def ncx_entries(entries: list[TocEntry], prefix: str = "nav") -> list:
    """The same tree in ebooklib's ``book.toc`` shape (for the EPUB 2 NCX)."""
    result: list = []
    for index, entry in enumerate(entries, start=1):
        uid = f"{prefix}-{index}"
        if entry.children:
            result.append((epub.Section(entry.title, entry.href), ncx_entries(entry.children, uid)))
        else:
            result.append(epub.Link(entry.href, entry.title, uid))
    return result


CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def accessibility_metadata(document: Document, page_count: int) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 metadata, claiming only what the build guarantees.

    Conformance is declared only when every image of the article has alternative text (the rest
    — language, structure, navigation, contrast of the layouts — Pressroom provides itself).
    """
    images = document.images
    described = all(image.alt.strip() for image in images)
    modes = ["textual", "visual"]  # the cover is an image in every EPUB
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability"]
    if page_count:
        features.append("printPageNumbers")
    if images and described:
        features.append("alternativeText")
    summary = (
        "This publication has a table of contents, headings that give it structure, "
        + ("pop-up footnotes, " if document.notes else "")
        + f"and page numbers matching its {page_count}-page printed handout. "
        + ("Every image has a text description. " if images and described else "")
        + ("Some images lack a text description. " if not described else "")
        + "Text can be resized and restyled by the reader; no content relies on colour, sound or motion."
    )
    metadata = [("schema:accessMode", mode) for mode in modes]
    metadata.append(("schema:accessModeSufficient", "textual" if described else "textual,visual"))
    metadata += [("schema:accessibilityFeature", feature) for feature in features]
    metadata += [("schema:accessibilityHazard", "none"), ("schema:accessibilitySummary", summary)]
    if described:
        metadata.append(("dcterms:conformsTo", CONFORMANCE))
    return metadata


def xhtml(text: str, name: str) -> bytes:
    """Check that a rendered document is well-formed XML and return its bytes."""
    data = text.lstrip().encode("utf-8")
    try:
        etree.fromstring(data)
    except etree.XMLSyntaxError as exc:
        raise BuildError(f"internal error: layout produced malformed XHTML for {name}: {exc}") from None
    return data


def package_document_language(opf: bytes, lang: str) -> bytes:
    """Add ``xml:lang`` to the package element (ebooklib leaves it out; checkers want it)."""
    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def reproducible_zip(data: bytes, timestamp: dt.datetime, lang: str) -> bytes:
    """Rewrite a zip with ``mimetype`` first and stored, fixed dates and a stable entry order."""
    date_time = max(timestamp, dt.datetime(1980, 1, 1, tzinfo=dt.UTC)).timetuple()[:6]
    out = io.BytesIO()
    # Both closed here, not left to ZipFile.__del__: a Ctrl-C that lands in a finaliser is
    # printed as "Exception ignored" and lost, and the build would run on.
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        ordered = ["mimetype"] + sorted(n for n in source.namelist() if n != "mimetype")
        for name in ordered:
            content = source.read(name)
            if name.endswith("content.opf"):
                content = package_document_language(content, lang)
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            target.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()


def build_epub(
    article: Article,
    document: Document,
    cover: Image,
    search_path: tuple[Path, ...],
    modified: dt.datetime,
    page_count: int,
    page_starts: Sequence[PageStart],
) -> bytes:
    """The EPUB's bytes: cover, title page, the article, nav (with the print page-list) and NCX."""
    meta = article.meta
    book = epub.EpubBook()
    book.set_identifier(stable_identifier(article))
    book.set_title(meta.title)
    book.set_language(meta.lang)
    if meta.direction == "rtl":  # the reader turns pages right to left
        book.set_direction("rtl")
    credits = meta.credits()
    for index, credit in enumerate(credits.authors, start=1):
        uid = f"creator{index}"
        book.add_author(credit.author.name, role="aut", uid=uid)
        if credit.author.orcid_url:
            book.add_metadata(None, "meta", credit.author.orcid_url, {"refines": f"#{uid}", "property": "dcterms:identifier"})
        for number in credit.numbers:
            affiliation = credits.affiliations[number - 1]
            book.add_metadata(None, "meta", affiliation, {"refines": f"#{uid}", "property": "schema:affiliation"})
    for index, editor in enumerate(meta.editors, start=1):
        book.add_author(editor.name, role="edt", uid=f"editor{index}")  # dc:creator, MARC relator edt
    if meta.summary:
        book.add_metadata("DC", "description", meta.summary)
    for keyword in meta.keywords:
        book.add_metadata("DC", "subject", keyword)
    if meta.publisher:
        book.add_metadata("DC", "publisher", meta.publisher)
    if meta.rights:
        book.add_metadata("DC", "rights", meta.rights)
    if meta.date:
        book.add_metadata("DC", "date", meta.date.isoformat())
    if meta.subtitle:
        book.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})
    print_edition = f"{meta.title}, printed handout ({paper_name(meta.paper)} PDF, {page_count} pages)"
    book.add_metadata("DC", "source", print_edition)
    book.add_metadata(None, "meta", print_edition, {"property": "pageBreakSource"})
    for prop, value in accessibility_metadata(document, page_count):
        book.add_metadata(None, "meta", value, {"property": prop})

    def page(template: str, **extra: object) -> str:
        return render(search_path, template, meta=meta, stylesheet=STYLESHEET, **extra)

    files = LayoutFiles(search_path)
    css = files.text("epub.css") + "\n" + files.text("code.css") + theme_css(search_path, article.meta, "epub")
    stylesheet = epub.EpubItem("style", STYLESHEET, "text/css", css.encode("utf-8"))
    cover_image = epub.EpubItem("cover-image", cover.href, cover.media_type, cover.data)
    cover_image.properties = ["cover-image"]
    cover_page = epub.EpubItem("cover", "cover.xhtml", XHTML, xhtml(page("cover-page.xhtml", cover_href=cover.href), "the cover page"))
    title_page = epub.EpubItem("titlepage", "titlepage.xhtml", XHTML, xhtml(page("titlepage.xhtml"), "the title page"))
    parts, ids = split_chapters(document.epub_tree(page_starts), document.notes)
    chapters = []
    for index, part in enumerate(parts, start=1):
        notes = [{"id": n.id, "html": markup(n.epub_html)} for n in part.notes]
        content = page("chapter.xhtml", body=markup(part.html), notes=notes, first=part.first)
        chapter = epub.EpubItem(f"chapter-{index}", part.file, XHTML, xhtml(content, part.file))
        if "<math " in part.html or "<math>" in part.html:  # EPUB 3: a document with MathML says so
            chapter.properties = ["mathml"]
        chapters.append(chapter)
    first = parts[0].file
    toc = [TocEntry(meta.title, first, nest_headings(document.headings, ids))]
    words = language(meta.lang).words
    landmarks = [
        {"type": "cover", "href": "cover.xhtml", "title": words["cover"]},
        {"type": "titlepage", "href": "titlepage.xhtml", "title": words["title_page"]},
        {"type": "toc", "href": "nav.xhtml#toc", "title": words["contents"]},
        {"type": "bodymatter", "href": f"{first}#start", "title": words["start"]},
    ]
    # Pages that hold article text (not the ruled notes pages at the end) get an entry.
    numbers = sorted({1, *(start.page for start in page_starts)})
    pages = [{"label": str(n), "href": f"{ids.get(f'page-{n}', first)}#page-{n}"} for n in numbers]
    nav_page = page("nav.xhtml", toc=toc, landmarks=landmarks, pages=pages)
    nav = epub.EpubItem("nav", "nav.xhtml", XHTML, xhtml(nav_page, "nav.xhtml"))
    nav.properties = ["nav"]
    for item in (stylesheet, cover_image, cover_page, title_page, *chapters, nav):
        book.add_item(item)
    for index, image in enumerate(document.images, start=1):
        item = epub.EpubItem(f"image-{index}", image.href, image.media_type, image.data)
        book.add_item(item)
    book.add_item(epub.EpubNcx())
    book.toc = ncx_entries(toc)
    book.spine = [cover_page, title_page, nav, *chapters]
    raw = io.BytesIO()
    epub.write_epub(raw, book, {"mtime": modified, "epub3_landmark": False, "epub3_pages": False})
    return reproducible_zip(raw.getvalue(), modified, meta.lang)
