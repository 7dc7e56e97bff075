"""Pictures of real pages for the README: ``make pictures`` (re)writes ``docs/pictures/*.png``.

The seed article (``content/professional-organizations.md``) is built in a temporary folder, with
an author, an event and an address for the QR code set on the command line (``-M``), as a
conference would: the handout's first page, a two-column Letter page and a booklet sheet are drawn from
the PDFs with PDFium; the EPUB's cover, title page and chapter at a phone's width and the web page
at a laptop's are screenshots of headless Chromium (``/usr/bin/chromium``, or ``chromium`` on
``PATH``). Each picture is reduced to a small palette and written as an optimised PNG, so all of
them together stay at a few hundred kilobytes. ``SOURCE_DATE_EPOCH`` is fixed: the same sources
give the same pictures.

    python docs/pictures.py [--out FOLDER]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "content" / "professional-organizations.md"
EPOCH = "1773446400"  # 14 March 2026
CONFERENCE = [
    "-M", "author=[Ann Archer, Bob Binder]",
    "-M", "event={name: Regional Library Conference, date: 2026-03-14, place: Ghent}",
    "-M", "url=https://example.org/talks/professional-organizations",
]  # fmt: skip
COLOURS = 48  # the palette of each picture: text on paper needs few


def build(out: Path, *options: str) -> None:
    """Build the seed article into ``out`` with these extra options."""
    command = [sys.executable, str(ROOT / "build.py"), str(SEED), "--out", str(out), "--force", "-q", *CONFERENCE, *options]
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, check=True, env=env, cwd=ROOT)


def save(picture: object, path: Path, width: int) -> None:
    """Scale a PIL image to ``width`` pixels, frame it with a thin grey line (a white page on a
    white README still shows its edges) and write it as a small optimised PNG."""
    from PIL import Image, ImageOps

    assert isinstance(picture, Image.Image)
    height = round(picture.height * width / picture.width)
    small = picture.convert("RGB").resize((width - 2, height - 2), Image.Resampling.LANCZOS)
    framed = ImageOps.expand(small, border=1, fill="#b4b4b4")
    framed.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)


def side_by_side(pictures: list[object], gap: int = 24) -> object:
    """Pictures of one height in a row, on white, ``gap`` pixels apart, each with a thin frame."""
    from PIL import Image, ImageOps

    framed = [ImageOps.expand(picture, border=2, fill="#b4b4b4") for picture in pictures if isinstance(picture, Image.Image)]
    row = Image.new("RGB", (sum(p.width for p in framed) + gap * (len(framed) + 1), max(p.height for p in framed) + 2 * gap), "white")
    x = gap
    for picture in framed:
        row.paste(picture, (x, gap))
        x += picture.width + gap
    return row


def pdf_page(pdf: Path, index: int, width: int) -> object:
    """One page of a PDF drawn at twice ``width`` pixels (scaled down when saved: crisper text)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        page = document[index]
        return page.render(scale=2 * width / page.get_width()).to_pil().copy()
    finally:
        document.close()


def chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        raise SystemExit("pictures: Chromium is needed for the EPUB and web pictures (apt-get install chromium)")
    return found


def screenshot(url: str, width: int, height: int, scale: float = 1.0) -> object:
    """A headless Chromium screenshot of ``url`` in a window of ``width`` × ``height`` CSS px."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        shot = Path(folder) / "shot.png"
        command = [
            chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={folder}/profile", f"--force-device-scale-factor={scale}", f"--window-size={width},{height}",
            "--virtual-time-budget=5000", f"--screenshot={shot}", url,
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        with Image.open(shot) as picture:
            return picture.copy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "pictures", help="where the pictures go (default: docs/pictures)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build(work / "a4", "--format", "pdf,epub,html")
        build(work / "letter", "--format", "pdf", "-M", "columns=2", "-M", "paper=letter")
        build(work / "a5", "--format", "pdf", "-M", "paper=a5", "-M", "booklet=true")
        name = SEED.stem
        save(pdf_page(work / "a4" / f"{name}.pdf", 0, 560), out / "handout.png", 560)
        save(pdf_page(work / "letter" / f"{name}.pdf", 0, 560), out / "two-columns.png", 560)
        # the back of the second sheet: pages 4 and 5 side by side, both printed
        save(pdf_page(work / "a5" / f"{name}-booklet.pdf", 3, 800), out / "booklet-sheet.png", 800)
        epub = work / "epub"
        with zipfile.ZipFile(work / "a4" / f"{name}.epub") as archive:
            archive.extractall(epub)
        from PIL import Image

        phone = (390, 760)
        with Image.open(epub / "EPUB" / "images" / "cover.jpg") as cover:
            screen = Image.new("RGB", phone, "#2b2b2b")  # a reading system shows the cover whole, on its own
            fitted = cover.convert("RGB").resize((phone[0], round(cover.height * phone[0] / cover.width)), Image.Resampling.LANCZOS)
            screen.paste(fitted, (0, (phone[1] - fitted.height) // 2))
        pages = [screenshot((epub / "EPUB" / page).as_uri(), *phone) for page in ("titlepage.xhtml", "chapter.xhtml")]
        save(side_by_side([screen, *pages]), out / "epub-phone.png", 900)
        save(screenshot((work / "a4" / name / "index.html").as_uri(), 1100, 820), out / "web.png", 720)
    total = sum(path.stat().st_size for path in out.glob("*.png"))
    print(f"wrote {len(list(out.glob('*.png')))} pictures to {out} ({total // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
