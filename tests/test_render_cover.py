"""The EPUB cover: the article's own image, checked, or one generated from the layout."""

from __future__ import annotations

from pathlib import Path

from helpers import (
    NS,
    assert_epubcheck_clean,
    epub_file,
    epub_xml,
    run_cli,
    write_article,
)
from PIL import Image

from pressroom.render.renderer import fresh_renderer


def test_an_articles_own_cover_is_used_as_given(tmp_path: Path) -> None:
    Image.new("RGB", (800, 1200), (200, 30, 30)).save(tmp_path / "art.jpg", quality=85)
    write_article(tmp_path, "---\ntitle: Covered\ncover: art.jpg\n---\n\nText.\n", "c.md")
    run = run_cli("c.md", "--out", "out", "--format", "epub", cwd=tmp_path)
    assert run.code == 0, run.err
    assert run.err == (
        "c.md:3: warning: cover image 'art.jpg' is 800 × 1200 px; e-reader stores ask for at least 1600 px on the long side\n"
    )
    epub = tmp_path / "out" / "c.epub"
    item = epub_xml(epub, "EPUB/content.opf").find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert (item.get("href"), item.get("media-type")) == ("images/cover.jpg", "image/jpeg")
    assert epub_file(epub, "EPUB/images/cover.jpg") == (tmp_path / "art.jpg").read_bytes()
    assert_epubcheck_clean(epub)


def test_a_cover_that_is_not_an_image_is_an_error_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_text("not an image")
    write_article(tmp_path, "---\ntitle: Bad\ncover: cover.png\n---\n\nText.\n", "b.md")
    run = run_cli("b.md", "--out", "out", cwd=tmp_path)
    assert run.code == 1
    assert run.err.startswith("b.md:3: error: cover image 'cover.png' is not a PNG, JPEG, GIF, WebP or SVG image")


def test_a_generated_cover_is_kept_in_the_cache_and_drawn_again_only_when_its_inputs_change(tmp_path: Path) -> None:
    import io

    source = write_article(tmp_path, "---\ntitle: Kept\n---\n\nFirst text.\n", "k.md")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    stored = sorted(tmp_path.glob(".cache/pressroom/cover-*.jpg"))
    assert len(stored) == 1
    epub = tmp_path / "out" / "k.epub"
    assert epub_file(epub, "EPUB/images/cover.jpg") == stored[0].read_bytes()
    planted = io.BytesIO()
    Image.new("RGB", (1600, 2400), "#808080").save(planted, "JPEG")
    stored[0].write_bytes(planted.getvalue())  # a stand-in: seen in the EPUB only if the stored cover is reused
    fresh_renderer()  # as in a new process: run_cli builds in this one
    source.write_text("---\ntitle: Kept\n---\n\nSecond text.\n")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    assert epub_file(epub, "EPUB/images/cover.jpg") == planted.getvalue()
    fresh_renderer()
    assert run_cli("k.md", "--out", "out", "--force", cwd=tmp_path).code == 0
    assert epub_file(epub, "EPUB/images/cover.jpg") != planted.getvalue()
    source.write_text("---\ntitle: Renamed\n---\n\nSecond text.\n")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    assert len(list(tmp_path.glob(".cache/pressroom/cover-*.jpg"))) == 2
    assert epub_file(epub, "EPUB/images/cover.jpg") not in (planted.getvalue(), stored[0].read_bytes())
    for damaged in tmp_path.glob(".cache/pressroom/cover-*.jpg"):
        damaged.write_bytes(damaged.read_bytes()[:1000])  # cut short: drawn again, not packaged
    fresh_renderer()
    source.write_text("---\ntitle: Renamed\n---\n\nThird text.\n")
    assert run_cli("k.md", "--out", "out", cwd=tmp_path).code == 0
    packaged = epub_file(epub, "EPUB/images/cover.jpg")
    assert packaged.endswith(b"\xff\xd9") and Image.open(io.BytesIO(packaged)).size == (1600, 2400)
    assert_epubcheck_clean(epub)
