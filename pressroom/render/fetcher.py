"""WeasyPrint's view of the sandbox: every stylesheet, font and image the handout names is
fetched through :class:`pressroom.load.sandbox.Sandbox`, and every refusal is logged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressroom.load.sandbox import MAX_DATA_URI_BYTES, PROJECT_SCHEME, Refused, Sandbox


@dataclass
class FetchLog:
    """What the sandbox refused during one render: (url, reason) pairs."""

    refused: list[tuple[str, str]] = field(default_factory=list)


def weasyprint_fetcher(sandbox: Sandbox, log: FetchLog, svg: Callable[[bytes], bytes] | None = None) -> Any:
    """A WeasyPrint URL fetcher that applies ``sandbox`` to every fetch and logs refusals; each
    SVG image it hands over first goes through ``svg`` (the handout's font mapping)."""
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher, URLFetcherResponse

    def adapted(response: Any) -> Any:
        """The response, its body passed through ``svg`` when it is an SVG image."""
        if svg is None:
            return response
        is_svg = response.url.lower().split("?", 1)[0].endswith(".svg") or response.content_type == "image/svg+xml"
        if response.url.startswith("data:"):
            is_svg = response.url[5:].lower().startswith("image/svg+xml")
        if not is_svg:
            return response
        try:
            data = response.read()
        finally:
            response.close()
        return URLFetcherResponse(response.url, svg(data), {"Content-Type": "image/svg+xml"})

    class SandboxFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            return adapted(self._fetch(url, headers))

        def _fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            try:
                if scheme == "data":
                    # Articles' own data: URIs are capped when converting; these may also carry
                    # remote images the build downloaded (within the remote size limit).
                    if len(url) > max(MAX_DATA_URI_BYTES, sandbox.max_remote_bytes) * 4 // 3 + 1024:
                        raise Refused("data: URI larger than the size limit")
                    return super().fetch(url, headers)
                if scheme in {"file", PROJECT_SCHEME}:
                    if scheme == "file":
                        path = Path(url2pathname(url.split("?", 1)[0].split("#", 1)[0].removeprefix("file:")))
                    else:
                        path = sandbox.project_path(url)
                    if not sandbox.allows(path):
                        raise Refused("outside the project folder")
                    sandbox.reads.append(str(path))
                    return super().fetch(url if scheme == "file" else path.resolve().as_uri(), headers)
                if scheme in {"http", "https"}:
                    data, content_type = sandbox.fetch_remote(url)
                    return URLFetcherResponse(url, data, {"Content-Type": content_type})
                raise Refused(f"{scheme}: URLs are not fetched")
            except Refused as exc:
                log.refused.append((url, str(exc)))
                raise ValueError(f"refused by Pressroom's sandbox: {exc}") from None

    return SandboxFetcher(timeout=sandbox.timeout, allow_redirects=False)
