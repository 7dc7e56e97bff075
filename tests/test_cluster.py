"""Building on a Dask cluster: real `dask scheduler` and `dask worker` processes on loopback.

Every cluster build is compared byte for byte with a local ``-j 1`` build of the same project;
faults are real: a worker killed with SIGKILL, the scheduler killed, Ctrl-C sent to the build.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO, SEED_ARTICLE, run_cli

pytest.importorskip("distributed")

EPOCH = "1700000000"
DASK = Path(sys.executable).parent / "dask"
RED_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73"
    "0000001649444154789c63f8cfc0f09f8181e13f030303000e0a03fd4d2f6e2c0000000049454e44ae426082"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dask:
    """A scheduler and workers as processes of their own (no nanny: a killed worker stays dead)."""

    def __init__(self, folder: Path, workers: int = 2, preload: Path | None = None, bad_workers: int = 0):
        self.folder = folder
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        self.log = open(folder / "dask.log", "ab")
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"])
        self.workers = [self._worker() for _ in range(workers)]
        self.workers += [self._worker(preload) for _ in range(bad_workers)]
        self.wait_for_workers(workers + bad_workers)

    def _start(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=self.env, cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT)

    def _worker(self, preload: Path | None = None) -> subprocess.Popen[bytes]:
        command = [str(DASK), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"]
        command += ["--local-directory", str(self.folder / "workers")]
        if preload:
            command += ["--preload", str(preload)]
        return self._start(command)

    def client(self) -> object:
        from distributed import Client

        return Client(self.address, timeout="30s", set_as_default=False)  # a scheduler starts slowly on a busy machine

    def wait_for_workers(self, count: int) -> None:
        client = self.client()
        try:
            client.wait_for_workers(count, timeout=60)  # type: ignore[attr-defined]
        finally:
            client.close()  # type: ignore[attr-defined]

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.kill()
            process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dask]:
    dask = Dask(tmp_path_factory.mktemp("dask"))
    yield dask
    dask.stop()


def article(title: str, body: str = "") -> str:
    return f"---\ntitle: {title}\n---\n# {title}\n\nSome text about {title.lower()}[^1].\n\n{body}\n\n[^1]: A note.\n"


def make_project(folder: Path, count: int = 3, layouts: bool = True) -> Path:
    """A project: ``count`` articles, one shared image in two of them (one from a subfolder), a
    reader pack, the project's own stylesheet, and a folder of noise that must not travel."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text('[tool.pressroom]\nformats = ["pdf", "epub"]\n')
    content = folder / "content"
    (content / "img").mkdir(parents=True)
    (content / "talks").mkdir()
    (content / "img" / "red box.png").write_bytes(RED_PNG)
    for index in range(count):
        (content / f"a{index}.md").write_text(article(f"Article {index}", "![A red box](img/red%20box.png)" if index == 0 else ""))
    (content / "talks" / "nested.md").write_text(article("Nested", "![A red box](../img/red%20box.png)"))
    (content / "reader.pack.yaml").write_text("title: Reader\narticles:\n  - a1.md\n  - talks/nested.md\n")
    if layouts:
        (folder / "layouts").mkdir()
        stylesheet = (REPO / "pressroom" / "layouts" / "handout.css").read_text()
        (folder / "layouts" / "handout.css").write_text(stylesheet + "\nh1 { letter-spacing: 0.5pt; }\n")
    return folder


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def local_build(project: Path, *args: str) -> dict[str, bytes]:
    result = run_cli("-j", "1", "--out", "local", "--force", *args, cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.code in (0, 1), result.err
    return outputs(project / "local")


def cluster_process(project: Path, address: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--out", "dist", "--cluster", address, *args],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for(condition: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob(".*") if p.name.endswith((".part", ".old"))]


# -- what a cluster build produces ---------------------------------------------------------------


def test_outputs_and_lines_are_those_of_a_local_build(cluster: Dask, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (project / "content" / "broken.md").write_text("---\ntitle: Broken\n---\nText.\n\n![missing](img/nope.png)\n")
    expected = local_build(project)
    local = run_cli("-j", "1", "--out", "dist", cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH, "PRESSROOM_CLUSTER": ""})
    shutil.rmtree(project / "dist")
    shutil.rmtree(project / ".cache")

    built = run_cli("--out", "dist", "--cluster", cluster.address, cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH})

    assert built.code == 1
    assert built.out == local.out  # the same lines, in the same order
    assert built.err == local.err == "content/broken.md:6: error: image not found: img/nope.png\n1 of 5 articles failed\n"
    assert outputs(project / "dist") == expected  # byte-identical, the pack and the images too
    assert str(project / "workers") not in built.err + built.out
    # The cache now answers without the cluster (the broken article alone is built again).
    (project / "content" / "broken.md").unlink()
    again = run_cli("--out", "dist", "--cluster", "tcp://127.0.0.1:9", cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert again.code == 0, again.err
    assert again.out.count("unchanged ") == 10 and "wrote" not in again.out


def test_an_edited_image_is_sent_again_and_rebuilds_only_its_articles(cluster: Dask, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", layouts=False)
    first = run_cli("--out", "dist", "--cluster", cluster.address, cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert first.code == 0, first.err
    png = bytearray(RED_PNG)
    (project / "content" / "img" / "red box.png").write_bytes(bytes(png) + b"\0")  # same picture, other bytes
    second = run_cli("--out", "dist", "--cluster", cluster.address, cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert second.code == 0, second.err
    assert sorted(line for line in second.out.splitlines() if line.startswith("wrote")) == [
        "wrote dist/a0.epub", "wrote dist/a0.pdf", "wrote dist/nested.epub", "wrote dist/nested.pdf",
        "wrote dist/reader.epub", "wrote dist/reader.pdf",  # the pack holds the nested article
    ]  # fmt: skip
    assert outputs(project / "dist") == local_build(project)


def test_verbose_counts_the_layout_passes_the_workers_made(cluster: Dask, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pressroom]\n")
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "seed.md").write_bytes(SEED_ARTICLE.read_bytes())
    args = ("--format", "pdf", "-v", "-M", "fit_pages=2", "--cluster", cluster.address)
    built = run_cli(*args, cwd=tmp_path, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert built.code == 0, built.err
    assert re.search(r"layout \d+\.\d\d s \([3-6] passes\)", built.out), built.out  # fitted to 2 pages on a worker


def test_warm_workers_load_the_renderer_once(cluster: Dask) -> None:
    client = cluster.client()
    try:
        loaded = client.run(lambda: "weasyprint" in sys.modules)  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]
    assert loaded and all(loaded.values())  # loaded by the plugin when the first build connected


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", count=1, layouts=False)
    address = f"tcp://127.0.0.1:{free_port()}"
    built = run_cli("--cluster", address, cwd=project)
    assert built.code == 2
    assert built.err.count("\n") == 1 and f"cannot reach the Dask scheduler at {address}" in built.err
    assert not (project / "dist").exists()


def test_without_dask_cluster_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    project = make_project(tmp_path / "project", count=1, layouts=False)
    built = run_cli("--cluster", "tcp://127.0.0.1:9", cwd=project)
    assert built.code == 2
    assert "pip install 'pressroom[cluster]'" in built.err


def test_cluster_from_settings_and_environment(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", count=1, layouts=False)
    address = f"tcp://127.0.0.1:{free_port()}"
    (project / "pyproject.toml").write_text(f'[tool.pressroom]\ncluster = "{address}"\n')
    assert address in run_cli(cwd=project).err
    other = f"tcp://127.0.0.1:{free_port()}"
    assert other in run_cli(cwd=project, env={"PRESSROOM_CLUSTER": other}).err


# -- inputs ----------------------------------------------------------------------------------------


def test_only_the_files_an_article_names_travel(tmp_path: Path) -> None:
    from pressroom.cluster.inputs import ProjectFiles

    project = make_project(tmp_path / "project").resolve()  # named_in takes resolved paths
    (project / "content" / "img" / "unused.png").write_bytes(RED_PNG)
    (project / "dist").mkdir()
    (project / "dist" / "red box.png").write_bytes(RED_PNG)
    (project / ".git").mkdir()
    (project / ".git" / "red box.png").write_bytes(RED_PNG)
    files = ProjectFiles(project, skip=(project / "dist", project / "layouts"))
    assert [f.path for f in files.named_in(project / "content" / "a0.md")] == ["content/a0.md", "content/img/red box.png"]
    assert [f.path for f in files.named_in(project / "content" / "a2.md")] == ["content/a2.md"]
    pack = [f.path for f in files.named_in(project / "content" / "reader.pack.yaml")]
    assert pack == ["content/a1.md", "content/img/red box.png", "content/reader.pack.yaml", "content/talks/nested.md"]


# -- faults, each on a cluster of its own ----------------------------------------------------------


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[Dask]:
    (tmp_path / "cluster").mkdir()
    dask = Dask(tmp_path / "cluster")
    yield dask
    dask.stop()


def busy_worker(dask: Dask) -> str | None:
    client = dask.client()
    try:
        processing = client.processing()  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]
    return next((worker for worker, keys in processing.items() if keys), None)


def test_a_worker_killed_mid_build_costs_nothing(own_cluster: Dask, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", count=8)
    expected = local_build(project)
    pids = {}
    client = own_cluster.client()
    try:
        pids = client.run(os.getpid)  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]
    build = cluster_process(project, own_cluster.address)
    wait_for(lambda: busy_worker(own_cluster) is not None)
    victim = busy_worker(own_cluster)
    assert victim is not None
    os.kill(pids[victim], signal.SIGKILL)
    out, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    assert outputs(project / "dist") == expected
    assert no_temporaries(project / "dist")


def test_scheduler_gone_mid_build(own_cluster: Dask, tmp_path: Path) -> None:
    # Enough articles that the first results fetched (those finishing within a second of one
    # another come back together) are not all of them.
    project = make_project(tmp_path / "project", count=40, layouts=False)
    build = cluster_process(project, own_cluster.address)
    wait_for(lambda: (project / "dist").is_dir() and any((project / "dist").glob("*.epub")))
    own_cluster.scheduler.kill()
    out, err = build.communicate(timeout=120)
    assert build.returncode == 1
    assert err.strip().count("\n") == 0 and f"lost the Dask scheduler at {own_cluster.address}" in err
    assert no_temporaries(project / "dist")
    written = {line.removeprefix("wrote ") for line in out.splitlines()}
    assert written == {p.relative_to(project).as_posix() for p in (project / "dist").iterdir()}
    assert len(written) < 2 * 42  # 40 articles, the nested one and the pack
    recorded = set()
    for entry in (project / ".cache" / "pressroom").glob("*.json"):
        recorded.update(Path(p).relative_to(project).as_posix() for p in json.loads(entry.read_text())["writes"])
    assert recorded == written  # the cache knows exactly what was written


def test_ctrl_c_cancels_the_clusters_tasks(own_cluster: Dask, tmp_path: Path) -> None:
    project = make_project(tmp_path / "project", count=12, layouts=False)
    build = cluster_process(project, own_cluster.address)
    wait_for(lambda: (project / "dist").is_dir())
    build.send_signal(signal.SIGINT)
    out, err = build.communicate(timeout=60)
    assert build.returncode == -signal.SIGINT, err  # as a local build: KeyboardInterrupt ends the process
    assert len(out.splitlines()) < 26
    assert no_temporaries(project / "dist")
    client = own_cluster.client()
    try:
        wait_for(lambda: client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)) == 0, timeout=20)  # type: ignore[attr-defined]
    finally:
        client.close()  # type: ignore[attr-defined]


def test_workers_of_other_versions_refuse(tmp_path: Path) -> None:
    preload = tmp_path / "other_version.py"
    preload.write_text("import pressroom\npressroom.__version__ = '0.0.1'\n")
    (tmp_path / "mixed").mkdir()
    mixed = Dask(tmp_path / "mixed", workers=1, preload=preload, bad_workers=1)
    project = make_project(tmp_path / "project", count=2, layouts=False)
    try:
        built = run_cli("--out", "dist", "--cluster", mixed.address, cwd=project, env={"SOURCE_DATE_EPOCH": EPOCH})
    finally:
        mixed.stop()
    assert built.code == 1
    assert "refused the work: it runs Pressroom 0.0.1 (code" in built.err and "(the client has 0.1.0 (code" in built.err
    assert len(list((project / "dist").iterdir())) == 8  # the matching worker built everything

    (tmp_path / "bad").mkdir()
    bad = Dask(tmp_path / "bad", workers=0, preload=preload, bad_workers=2)
    try:
        refused = run_cli("--out", "dist", "--force", "--cluster", bad.address, cwd=project)
    finally:
        bad.stop()
    assert refused.code == 2
    assert refused.err.count("\n") == 1 and "no worker of the Dask cluster" in refused.err


def test_the_names_an_article_can_mean_are_found_as_the_separators_cut_them() -> None:
    import re

    from pressroom.cluster.inputs import SEPARATORS, SEPARATORS_TO_SPACES

    text = 'See ![a](img/a.png), [b](<b c.pdf>) `x.md`; {y.yaml} "q.md"\u2003tab\there|pipe=eq*star?q#frag\\back\n'
    assert set(text.translate(SEPARATORS_TO_SPACES).split()) == set(SEPARATORS.split(text)) - {""}
    assert re.fullmatch(SEPARATORS, "".join(map(chr, SEPARATORS_TO_SPACES)))  # each character turned into a space is a separator
