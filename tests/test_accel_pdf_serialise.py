"""PDF serialisation without repeated work: the same bytes as WeasyPrint's own, and pydyf restored."""

from __future__ import annotations

import pydyf
import pytest

from pressroom.accel import load_weasyprint
from pressroom.accel.pdf_serialise import fast_pdf_serialisation

PAGES = "".join(f"<h2>Part {n}</h2><p>{'Words in a tagged paragraph. ' * 40}</p><ul><li>one</li><li>two</li></ul>" for n in range(12))


@pytest.mark.parametrize("variant", ["pdf/ua-1", None])
def test_the_bytes_are_weasyprints_own(variant: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    weasyprint = load_weasyprint()
    document = weasyprint.HTML(string=f'<html lang="en"><title>T</title><body>{PAGES}</body></html>').render()
    assert len(document.pages) > 3
    options = {"pdf_variant": variant} if variant else {}
    plain = document.write_pdf(pdf_identifier=True, **options)
    with fast_pdf_serialisation():
        fast = document.write_pdf(pdf_identifier=True, **options)
    assert fast == plain


def test_pydyf_is_restored_afterwards() -> None:
    before = (pydyf.PDF.write, pydyf.PDF.__dict__["page_references"], pydyf.Stream.__dict__["data"], pydyf.Dictionary.__dict__["data"])
    with pytest.raises(RuntimeError), fast_pdf_serialisation():
        assert pydyf.PDF.write is not before[0]
        raise RuntimeError
    after = (pydyf.PDF.write, pydyf.PDF.__dict__["page_references"], pydyf.Stream.__dict__["data"], pydyf.Dictionary.__dict__["data"])
    assert after == before
