"""Images an article uses: found inside the project, typed by their bytes, named for the EPUB.

A path that leaves the project (``../``, an absolute path, a ``file:`` URL, a symlink pointing
outside) is refused; remote images are fetched only when the project allows it (else the image's alt text stands in).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from lxml import etree

from pressroom.load.sandbox import (
    MAX_DATA_URI_BYTES,
    Refused,
    Sandbox,
    inside,
    project_url,
)
from pressroom.model import Article, BuildError, Warnings, warn

PRINT_SRC = "data-print-src"
MAX_IMAGE_BYTES = 30 * 1024 * 1024
MEDIA_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
}


@dataclass(frozen=True)
class Image:
    """One image file (or decoded ``data:`` URI) as it goes into the EPUB."""

    href: str  # path inside the EPUB's content folder, e.g. "images/01-chart.png"
    media_type: str
    data: bytes
    source: Path | None = None  # the file it came from (None for data: URIs)
    alt: str = ""  # its text description (the first one given, when it is used twice)


def sniff_media_type(data: bytes) -> str | None:
    """The image type from its first bytes (the file extension can lie)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml", b"<!--", b"<!doctype svg")) and b"<svg" in data[:8192].lower():
        return "image/svg+xml"
    return None


def resolve_project_file(article: Article, reference: str, what: str, line: int | None) -> Path:
    """Turn a reference written in the article into a file inside the project, or refuse."""
    where = article.display_path
    parts = urlsplit(reference)
    if parts.scheme == "file":
        raise BuildError(f"{what} '{reference}' uses a file: URL; write a path relative to the article", where, line)
    relative = unquote(parts.path if not parts.scheme else reference)
    if Path(relative).is_absolute():
        raise BuildError(f"{what} '{reference}' is an absolute path; write a path relative to the article", where, line)
    candidate = article.source.parent / relative
    if not inside(candidate, article.root):
        raise BuildError(f"{what} '{reference}' is outside the project folder", where, line)
    if not candidate.is_file():
        raise BuildError(f"{what} not found: {reference}", where, line)
    return candidate.resolve()


def read_image_file(article: Article, reference: str, what: str, line: int | None) -> tuple[Path, bytes, str]:
    """Resolve, read and type-check an image file named by the article."""
    path = resolve_project_file(article, reference, what, line)
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise BuildError(f"{what} '{reference}' is larger than {MAX_IMAGE_BYTES // 2**20} MB", article.display_path, line)
    data = path.read_bytes()
    media_type = sniff_media_type(data)
    if media_type is None:
        raise BuildError(f"{what} '{reference}' is not a PNG, JPEG, GIF, WebP or SVG image", article.display_path, line)
    return path, data, media_type


SVG_FORBIDDEN = {"script", "foreignObject", "iframe", "object", "embed", "handler", "listener", "audio", "video"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def clean_svg(data: bytes, reference: str, where: str, line: int | None) -> tuple[bytes, list[str]]:
    """An SVG without scripts, event handlers, foreign content or references to other files.

    Parsed without DTDs, entities or network, so the file cannot pull anything in either.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise BuildError(f"SVG image '{reference}' is not well-formed XML: {exc}", where, line) from None
    removed: list[str] = []
    for element in list(root.iter()):
        if isinstance(element, etree._Entity):
            element.getparent().remove(element)
            removed.append("entity reference")
            continue
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in SVG_FORBIDDEN:
            element.getparent().remove(element)
            removed.append(f"<{name}>")
            continue
        for attribute in list(element.attrib):
            local = etree.QName(attribute).localname.lower()
            value = element.attrib[attribute].strip()
            if local.startswith("on"):
                del element.attrib[attribute]
                removed.append(f"{local} attribute")
            elif attribute in {"href", XLINK_HREF} and not value.startswith(("#", "data:image/")):
                del element.attrib[attribute]
                removed.append(f"reference to '{value[:60]}'")
        if name == "style" and element.text and ("@import" in element.text or "url(" in element.text.replace("url(#", "")):
            element.getparent().remove(element)
            removed.append("<style> that loads other files")
    return etree.tostring(root, encoding="utf-8", xml_declaration=True), removed


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    """``data:image/png;base64,...`` → (media type, bytes)."""
    header, _, payload = uri[5:].partition(",")
    fields = header.split(";")
    media_type = fields[0].strip().lower() or "text/plain"
    if "base64" in fields[1:]:
        return media_type, base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    return media_type, unquote_to_bytes(payload)


def epub_name(index: int, stem: str, media_type: str, prefix: str = "") -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:40] or "image"
    return f"images/{prefix}{index:02d}-{stem}{MEDIA_TYPES[media_type]}"


class ImageResolver:
    """Resolves every ``<img>`` of one article and remembers each distinct image once."""

    def __init__(self, article: Article, sandbox: Sandbox, warnings: Warnings, prefix: str = ""):
        self.prefix = prefix
        self.article = article
        self.sandbox = sandbox
        self.warnings = warnings
        self.images: dict[str, Image] = {}

    def _add(self, key: str, stem: str, data: bytes, media_type: str, source: Path | None, line: int | None = None, alt: str = "") -> Image:
        if key not in self.images:
            if media_type == "image/svg+xml":
                data, removed = clean_svg(data, stem, self.article.display_path, line)
                if removed:
                    what = ", ".join(sorted(set(removed)))
                    warn(self.warnings, f"SVG image '{stem}': removed {what}", self.article.display_path, line)
            href = epub_name(len(self.images) + 1, stem, media_type, self.prefix)
            self.images[key] = Image(href, media_type, data, source, alt)
        return self.images[key]

    def resolve_all(self, root: etree._Element, locate: Callable[[str], int | None]) -> tuple[Image, ...]:
        """Rewrite each image's ``src`` to its EPUB name; keep the print source beside it."""
        where = self.article.display_path
        for element in list(root.iter("img")):
            src = (element.get("src") or "").strip()
            alt = element.get("alt")
            line = locate(src) if src else None
            scheme = urlsplit(src).scheme.lower()
            if not src:
                warn(self.warnings, "image has no source; its alt text stands in", where, line)
                self._replace_with_text(element, alt or "")
                continue
            if scheme in {"http", "https"}:
                try:
                    data, _ = self.sandbox.fetch_remote(src)
                except Refused as exc:
                    warn(self.warnings, f"remote image '{src}' not used: {exc}; its alt text stands in", where, line)
                    self._replace_with_text(element, alt or "")
                    continue
                media_type = sniff_media_type(data)
                if media_type is None:
                    raise BuildError(f"remote image '{src}' is not a PNG, JPEG, GIF, WebP or SVG image", where, line)
                image = self._add("url:" + src, Path(urlsplit(src).path).stem, data, media_type, None, line, alt or "")
                element.set(PRINT_SRC, f"data:{media_type};base64,{base64.b64encode(data).decode()}")
            elif scheme == "data":
                try:
                    media_type, data = decode_data_uri(src)
                except (binascii.Error, ValueError):
                    raise BuildError("image data: URI is not valid base64", where, line) from None
                if len(data) > MAX_DATA_URI_BYTES:
                    raise BuildError(
                        f"image data: URI holds {len(data) // 1024} KB; the limit is {MAX_DATA_URI_BYTES // 1024} KB",
                        where,
                        line,
                    )
                if sniff_media_type(data) != media_type or media_type not in MEDIA_TYPES:
                    raise BuildError(f"image data: URI is not a valid {media_type} image", where, line)
                digest = hashlib.sha256(data).hexdigest()[:12]
                image = self._add("data:" + digest, "inline", data, media_type, None, line, alt or "")
                element.set(PRINT_SRC, src)
            elif scheme and scheme != "file":
                warn(self.warnings, f"image '{src}' uses an unsupported URL scheme; its alt text stands in", where, line)
                self._replace_with_text(element, alt or "")
                continue
            else:
                path, data, media_type = read_image_file(self.article, src, "image", line)
                self.sandbox.reads.append(str(path))
                image = self._add(str(path), path.stem, data, media_type, path, line, alt or "")
                element.set(PRINT_SRC, project_url(path, self.article.root))
            element.set("src", image.href)
            if not (alt or "").strip():
                element.set("alt", "")
                warn(self.warnings, f"image '{src[:60]}' has no alternative text: describe it in the ![alt](...) brackets", where, line)
        return tuple(self.images.values())

    @staticmethod
    def _replace_with_text(element: etree._Element, text: str) -> None:
        span = etree.Element("span", {"class": "missing-image"})
        span.text = text
        span.tail = element.tail
        parent = element.getparent()
        if parent is not None:
            parent.replace(element, span)
