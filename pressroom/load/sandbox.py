"""What a build may read: files inside the project and the layouts; the network only if allowed.

Every resource an article or a layout names goes through here: images while converting, and
everything WeasyPrint fetches (stylesheets, fonts, images) while laying out the handout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_DATA_URI_BYTES = 2 * 1024 * 1024
MAX_REMOTE_BYTES = 10 * 1024 * 1024
REMOTE_TIMEOUT_SECONDS = 10.0


#: How the handout names a project file (an article's image) to WeasyPrint: by its path in the
#: project, not on this machine. WeasyPrint names each image in the PDF after a digest of its
#: URL, so a ``file:`` URL would make the PDF depend on where the project sits (another folder,
#: another machine of a cluster).
PROJECT_SCHEME = "pressroom-project"


def project_url(path: Path, root: Path) -> str:
    """``pressroom-project:content/img/a.png`` for a file inside the project ``root``."""
    from urllib.request import pathname2url

    return f"{PROJECT_SCHEME}:{pathname2url(str(path.resolve().relative_to(root.resolve())))}"


class Refused(Exception):
    """A resource the sandbox will not hand out; the message says why."""


def inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (symlinks resolved) lies within ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError, RuntimeError):
        return False


@dataclass(frozen=True)
class Sandbox:
    """The folders a build may read, and whether it may use the network."""

    roots: tuple[Path, ...]
    allow_remote: bool = False
    timeout: float = REMOTE_TIMEOUT_SECONDS
    max_remote_bytes: int = MAX_REMOTE_BYTES
    #: every file path and URL handed out, in order (what the build depended on)
    reads: list[str] = field(default_factory=list, compare=False)

    def project_path(self, url: str) -> Path:
        """The file a :func:`project_url` names (the project is the first root)."""
        from urllib.request import url2pathname

        return self.roots[0] / url2pathname(url.split(":", 1)[1].split("?", 1)[0].split("#", 1)[0])

    def allows(self, path: Path) -> bool:
        return any(inside(path, root) for root in self.roots)

    def fetch_remote(self, url: str) -> tuple[bytes, str]:
        """Download an http(s) resource within the time and size limits: (bytes, content type)."""
        if not self.allow_remote:
            raise Refused("remote fetching is off (set allow_remote = true in [tool.pressroom] to allow it)")
        if not url.lower().startswith(("http://", "https://")):
            raise Refused("only http and https URLs may be fetched")
        import urllib.error
        import urllib.request

        self.reads.append(url)
        request = urllib.request.Request(url, headers={"User-Agent": "Pressroom"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                data = response.read(self.max_remote_bytes + 1)
                content_type = response.headers.get_content_type()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise Refused(f"could not fetch it: {getattr(exc, 'reason', exc)}") from None
        if len(data) > self.max_remote_bytes:
            raise Refused(f"larger than the {self.max_remote_bytes // 2**20} MB limit")
        return data, content_type
