"""Hyphenation patterns handed from one process to another (pressroom.hyphenation)."""

from __future__ import annotations

import pickle

import pyphen
import pytest

from pressroom.hyphenation import adopt, patterns_for


def test_patterns_parsed_elsewhere_hyphenate_without_parsing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyphen, "hdcache", {})
    expected = pyphen.Pyphen(lang="en").inserted("interoperability")
    monkeypatch.setattr(pyphen, "hdcache", {})
    handed_over = pickle.loads(pickle.dumps(patterns_for("en")))  # as from a child process
    assert [path.name for path in handed_over] == ["hyph_en_GB.dic"]  # the file Pyphen picks for "en"
    monkeypatch.setattr(pyphen, "hdcache", {})
    adopt(handed_over)

    def no_parsing(self, path):  # type: ignore[no-untyped-def]
        raise AssertionError(f"parsed {path} again")

    monkeypatch.setattr(pyphen.HyphDict, "__init__", no_parsing)
    assert pyphen.Pyphen(lang="en").inserted("interoperability") == expected == "in-ter-op-er-ab-il-ity"


@pytest.mark.parametrize("lang", [None, "", "tlh"])
def test_no_patterns_for_a_language_pyphen_does_not_know(lang: str | None) -> None:
    assert patterns_for(lang) == {}
