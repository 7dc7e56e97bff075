"""A stage run in a forked child (pressroom.background): results, errors, a killed child, cancelling;
and a build that writes its PDF in the background gives the very bytes of one that does not."""

from __future__ import annotations

import io
import os
import signal
import time
from pathlib import Path

import pypdf
import pytest

from helpers import SEED_ARTICLE, epubcheck_messages, run_cli, write_article
from pressroom.background import ChildFailed, run_in_background
from pressroom.errors import BuildError


def child_pid_and_data(size: int) -> tuple[int, bytes]:
    return os.getpid(), bytes(range(256)) * (size // 256)


def fail_with(exc: BaseException) -> None:
    raise exc


class Unpicklable(Exception):
    def __reduce__(self):  # type: ignore[no-untyped-def]
        raise TypeError("cannot pickle this")


def test_the_result_comes_back_from_another_process_even_when_larger_than_a_pipe() -> None:
    with run_in_background(child_pid_and_data, 4 << 20) as job:
        pid, data = job.result()
    assert pid != os.getpid()
    assert data == bytes(range(256)) * (4 << 12)


def test_an_error_in_the_child_is_raised_here_with_its_location() -> None:
    with pytest.raises(BuildError) as raised, run_in_background(fail_with, BuildError("bad table", "a.md", 12)) as job:
        job.result()
    assert raised.value.diagnostic.format() == "a.md:12: error: bad table"


def test_an_error_that_cannot_be_pickled_still_comes_back_as_a_message() -> None:
    with pytest.raises(RuntimeError, match="Unpicklable: broken"), run_in_background(fail_with, Unpicklable("broken")) as job:
        job.result()


def test_a_child_killed_before_answering_is_reported() -> None:
    with run_in_background(time.sleep, 30) as job:
        os.kill(job.pid, signal.SIGKILL)
        with pytest.raises(ChildFailed):
            job.result()


def test_a_result_not_collected_is_cancelled_and_the_child_reaped() -> None:
    with run_in_background(time.sleep, 30) as job:
        pid = job.pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # no such child any more: not left as a zombie


@pytest.mark.parametrize("options", ["", "marks: crop\nbleed: 3mm\n"])
def test_a_pdf_written_in_the_background_is_the_pdf_written_in_the_foreground(tmp_path: Path, options: str) -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8").replace("---\n", f"---\n{options}", 1)
    write_article(tmp_path / "content", text, "seed.md")
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    env = {"SOURCE_DATE_EPOCH": "1700000000"}
    outputs = {}
    for jobs in ("1", "2"):  # -j 2 with one article: the PDF is written in a background process
        run = run_cli("content/seed.md", "--out", f"out{jobs}", "-j", jobs, "--force", cwd=tmp_path, env=env)
        assert run.code == 0, run.err
        outputs[jobs] = {suffix: (tmp_path / f"out{jobs}" / f"seed.{suffix}").read_bytes() for suffix in ("pdf", "epub")}
        assert run.out.splitlines() == [f"wrote out{jobs}/seed.pdf", f"wrote out{jobs}/seed.epub"]
    assert outputs["1"] == outputs["2"]
    first_page = pypdf.PdfReader(io.BytesIO(outputs["2"]["pdf"])).pages[0]
    grown = [float(v) for v in first_page["/BleedBox"]] != [float(v) for v in first_page["/TrimBox"]]
    assert grown == bool(options)  # the bleed box is set in the background process too
    assert epubcheck_messages(tmp_path / "out2" / "seed.epub") == []
