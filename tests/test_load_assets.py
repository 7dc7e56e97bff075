"""Images: typed by their bytes, found inside the project only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pressroom.load.assets import (
    decode_data_uri,
    resolve_project_file,
    sniff_media_type,
)
from pressroom.load.metadata import Metadata
from pressroom.model import Article, BuildError


def article(root: Path) -> Article:
    source = root / "docs" / "a.md"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("x")
    return Article(source, root, Metadata(title="A", slug="a"), "x", 1)


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"BM....", None),
        (b"%PDF-1.7", None),
    ],
)
def test_sniff_media_type(head: bytes, media_type: str | None) -> None:
    assert sniff_media_type(head) == media_type


def test_paths_leaving_the_project_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    a = article(root)
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "docs" / "link.png").symlink_to(tmp_path / "secret.png")
    (root / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assert resolve_project_file(a, "../ok.png", "image", 3) == (root / "ok.png").resolve()
    for reference, message in [
        ("../../secret.png", "is outside the project folder"),
        (str(tmp_path / "secret.png"), "is an absolute path"),
        ((tmp_path / "secret.png").as_uri(), "uses a file: URL"),
        ("link.png", "is outside the project folder"),
    ]:
        with pytest.raises(BuildError, match=message) as info:
            resolve_project_file(a, reference, "image", 3)
        assert info.value.line == 3


def test_data_uris() -> None:
    assert decode_data_uri("data:image/png;base64,iVBORw0KGgo=") == ("image/png", b"\x89PNG\r\n\x1a\n")
    assert decode_data_uri("data:image/svg+xml,%3Csvg%2F%3E") == ("image/svg+xml", b"<svg/>")


def test_symlinked_project_folders_inside_are_fine(tmp_path: Path) -> None:
    root = tmp_path / "project"
    a = article(root)
    (root / "real").mkdir()
    (root / "real" / "p.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    os.symlink(root / "real", root / "docs" / "alias")
    assert resolve_project_file(a, "alias/p.png", "image", 1).name == "p.png"
