"""Hyphenation patterns kept parsed and handed from one process to another (pressroom.accel.hyphenation)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyphen
import pytest

from pressroom.accel.hyphenation import (
    default_store,
    dictionary_to_json,
    patterns_for,
    stored_name,
    stored_patterns,
)


def test_kept_patterns_hyphenate_without_parsing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pyphen, "hdcache", {})
    expected = pyphen.Pyphen(lang="en").inserted("interoperability")
    monkeypatch.setattr(pyphen, "hdcache", {})
    loaded = patterns_for("en")  # from the kept JSON, into Pyphen's cache
    assert [path.name for path in loaded] == ["hyph_en_GB.dic"]  # the file Pyphen picks for "en"

    def no_parsing(self, path):  # type: ignore[no-untyped-def]
        raise AssertionError(f"parsed {path} again")

    monkeypatch.setattr(pyphen.HyphDict, "__init__", no_parsing)
    assert pyphen.Pyphen(lang="en").inserted("interoperability") == expected == "in-ter-op-er-ab-il-ity"


@pytest.mark.parametrize("lang", [None, "", "tlh"])
def test_no_patterns_for_a_language_pyphen_does_not_know(lang: str | None) -> None:
    assert patterns_for(lang) == {}


WORDS = ["interoperability", "hyphenation", "conference", "accessibility", "bibliography", "organizations", "a"]


def kept_name(path: Path) -> str:
    return stored_name(path, path.read_bytes())


def positions(dictionary) -> list[list[int]]:  # type: ignore[no-untyped-def]
    return [dictionary.positions(word) for word in WORDS]


def test_patterns_are_kept_parsed_and_loaded_without_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = pyphen.LANGUAGES["en"]
    parsed = pyphen.HyphDict(path)
    first = stored_patterns(path, tmp_path)
    kept = tmp_path / kept_name(path)
    assert kept.is_file() and json.loads(kept.read_bytes())["format"] == 1
    assert first.patterns == parsed.patterns and positions(first) == positions(parsed)

    def no_parsing(self, path):  # type: ignore[no-untyped-def]
        raise AssertionError(f"parsed {path} again")

    monkeypatch.setattr(pyphen.HyphDict, "__init__", no_parsing)
    loaded = stored_patterns(path, tmp_path)
    assert loaded.patterns == parsed.patterns and loaded.maxlen == parsed.maxlen
    assert positions(loaded) == positions(parsed)
    assert [str(p) for p in loaded.positions("interoperability")] == ["2", "5", "7", "9", "11", "13"]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"format": 99, "keys": [".ab"], "starts": [1], "values": [[1]]}',
        b'{"format": 1, "keys": [], "starts": [], "values": []}',
        b'{"format": 1, "keys": [".ab"], "starts": [1], "values": [["1"]]}',  # a value that is not a number
        b'{"format": 1, "keys": [".ab"], "starts": [1], "values": [1]}',
        b'{"format": 1, "keys": [".ab", ".ac"], "starts": [1], "values": [[1]]}',
        b'{"format": 1, "keys": [7], "starts": [1], "values": [[1]]}',
        b'{"format": 1, "keys": ".ab", "starts": [1], "values": [[1]]}',
        b'{"format": 1}',
        b'{"format": true, "keys": [".ab"], "starts": [1], "values": [[1]]}',
        b'{"format": 1, "keys": [".ab"], "starts": [-1], "values": [[1]]}',  # an offset before the word
        b'{"format": 1, "keys": [".ab"], "starts": [1], "values": [[-1]]}',
        b'{"format": 1, "keys": [".ab"], "starts": [1], "values": [[]]}',
        b'{"format": 1, "keys": [""], "starts": [1], "values": [[1]]}',
        b"[" * 100_000 + b"]" * 100_000,  # nested too deep for the JSON parser (RecursionError)
    ],
)
def test_a_kept_file_that_is_not_well_formed_is_parsed_again_and_replaced(tmp_path: Path, content: bytes) -> None:
    path = pyphen.LANGUAGES["en"]
    kept = tmp_path / kept_name(path)
    kept.write_bytes(content)
    dictionary = stored_patterns(path, tmp_path)
    assert positions(dictionary) == positions(pyphen.HyphDict(path))
    assert kept.read_bytes() != content and json.loads(kept.read_bytes())["format"] == 1


def test_an_unwritable_cache_folder_only_costs_the_parse(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    path = pyphen.LANGUAGES["en"]
    assert positions(stored_patterns(path, blocked / "hyphenation")) == positions(pyphen.HyphDict(path))


def test_an_edited_pattern_file_is_kept_under_a_new_name(tmp_path: Path) -> None:
    copy = tmp_path / "hyph_xx.dic"
    copy.write_bytes(pyphen.LANGUAGES["en"].read_bytes())
    before = kept_name(copy)
    status = copy.stat()
    copy.write_bytes(copy.read_bytes().replace(b"\n.ab4i\n", b"\n.ab5i\n"))  # same size: the bytes decide
    os.utime(copy, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert copy.stat().st_size == status.st_size and kept_name(copy) != before
    assert before.startswith("hyph_xx-") and before.endswith(".json")
    kept = tmp_path / "kept"
    edited = stored_patterns(copy, kept)
    assert [p.name for p in kept.iterdir()] == [kept_name(copy)]
    assert edited.patterns != pyphen.HyphDict(pyphen.LANGUAGES["en"]).patterns


def test_patterns_with_non_standard_hyphenation_are_parsed_not_kept(tmp_path: Path) -> None:
    path = pyphen.LANGUAGES["hu"]  # Hungarian has alternatives ("ssz" → "sz-sz"): not plain numbers
    assert dictionary_to_json(pyphen.HyphDict(path)) is None
    dictionary = stored_patterns(path, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert positions(dictionary) == positions(pyphen.HyphDict(path))


def test_the_cache_folder_follows_xdg_and_can_be_chosen_or_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSROOM_HYPHENATION_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_store() == tmp_path / "pressroom" / "hyphenation"
    monkeypatch.setattr(pyphen, "hdcache", {})
    patterns_for("en")
    assert [p.name for p in (tmp_path / "pressroom" / "hyphenation").iterdir()] == [kept_name(pyphen.LANGUAGES["en"])]
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as the XDG specification says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_store() == tmp_path / "home" / ".cache" / "pressroom" / "hyphenation"
    monkeypatch.setenv("PRESSROOM_HYPHENATION_CACHE", str(tmp_path / "chosen"))
    assert default_store() == tmp_path / "chosen"
    monkeypatch.setenv("PRESSROOM_HYPHENATION_CACHE", "off")
    assert default_store() is None
