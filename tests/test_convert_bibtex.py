"""BibTeX read into CSL JSON: entries, macros, LaTeX, names and titles as Pandoc reads them."""

from __future__ import annotations

import pytest

from pressroom.convert import bibtex


def one(text: str) -> dict:
    [item] = bibtex.read(text)
    return item


def test_an_entry_with_strings_months_and_concatenation() -> None:
    item = one(
        '@String{jcp = "Journal of Computational Physics"}\n@comment{ignored @book{x, title={no}} }\n'
        "@Article{BergerOliger,\n  author = {M. J. Berger and J. Oliger},\n  title = {Adaptive Mesh Refinement},\n"
        '  journal = jcp, volume = 53, pages = {484--512},\n  month = mar, year = 1984, note = "Part " # {1},\n'
        "  doi = {10.1016/0021-9991(84)90073-1}\n}\n"
    )
    assert item == {
        "id": "BergerOliger", "type": "article-journal",
        "author": [{"family": "Berger", "given": "M. J."}, {"family": "Oliger", "given": "J."}],
        "title": "Adaptive mesh refinement", "container-title": "Journal of Computational Physics",
        "page": "484-512", "volume": "53", "note": "Part 1", "DOI": "10.1016/0021-9991(84)90073-1",
        "issued": {"date-parts": [[1984, 3]]},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Jane Doe", {"family": "Doe", "given": "Jane"}),
        ("Doe, Jane", {"family": "Doe", "given": "Jane"}),
        ("Ludwig van Beethoven", {"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"}),
        ("van Beethoven, Ludwig", {"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"}),
        ("King, Jr, Martin Luther", {"family": "King", "given": "Martin Luther", "suffix": "Jr"}),
        ("Mark~F. Adams", {"family": "Adams", "given": "Mark F."}),
        ("Hindmarsh, Alan C", {"family": "Hindmarsh", "given": "Alan C."}),
        ("J.G. Smith", {"family": "Smith", "given": "J. G."}),
        ('Oliver R\\"{u}bel', {"family": "Rübel", "given": "Oliver"}),
        ("{Turk}, M.~J.", {"family": "Turk", "given": "M. J."}),
        ("{NASA Ames Research Center}", {"literal": "NASA Ames Research Center"}),
    ],
)
def test_names_as_bibtex_writes_them(written: str, name: dict) -> None:
    assert bibtex.names(written) == [name]


def test_a_name_list_broken_over_lines_splits_at_and() -> None:
    assert [n["family"] for n in bibtex.names("J. Bell and M. Berger and J. Saltzman and\n   M. Welcome")] == [
        "Bell",
        "Berger",
        "Saltzman",
        "Welcome",
    ]
    assert bibtex.names("{Barnes and Noble} and A. Smith") == [{"literal": "Barnes and Noble"}, {"family": "Smith", "given": "A."}]


def test_titles_become_sentence_case_keeping_braces_and_capitals() -> None:
    item = one(
        "@incollection{p, title = {{ParaView}: An End-User Tool for {N}avier--{S}tokes and {AMR} in SIAM's {\\\"O}sterreich},"
        " booktitle = {{Visualization Handbook}}, publisher = {Elsevier}, year = 2005}"
    )
    assert item["type"] == "chapter"
    nocase = '<span class="nocase">{}</span>'.format
    assert item["title"] == f"{nocase('ParaView:')} An end-user tool for {nocase('Navier–Stokes')} and {nocase('AMR')} in SIAM's Österreich"
    assert item["container-title"] == nocase("Visualization Handbook")


def test_urls_keep_their_tildes_and_misc_is_typed_as_pandoc_types_it() -> None:
    item = one("@misc{w, title = {{AMR} {W}eb page}, howpublished = {\\url{https://x.edu/~me/a_b}}, url = {https://x.edu/~me/a_b}}")
    assert item["type"] == "" and item["publisher"] == "https://x.edu/~me/a_b" and item["URL"] == "https://x.edu/~me/a_b"


def test_an_arxiv_eprint_is_a_url_when_there_is_none() -> None:
    assert (
        one("@article{y, title = {T}, eprint = {1011.3514}, archivePrefix = {arXiv}, year = 2011}")["URL"]
        == "https://arxiv.org/abs/1011.3514"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("@article{a, title = {T}}\n\n@article{b,\n title = {never closed\n}\n", 3),
        ('@book{c,\n title = "open', 1),
        ("@book{d, title {T}}", 1),
    ],
)
def test_a_broken_file_names_the_line(text: str, line: int) -> None:
    with pytest.raises(bibtex.BibTeXError) as raised:
        bibtex.read(text)
    assert raised.value.line == line
