"""Live preview: ``pressroom preview`` serves the web edition of every article, rebuilt on every save.

The build is the watcher's (:mod:`pressroom.watch`: one warm process, the cache answering for
what a change did not touch), with the web edition added to the formats, so ``dist/`` holds the
fresh PDF and EPUB the page links to. A small HTTP server (standard library, one thread per
request) serves the output folder. Pages it sends get one script that only listens: it opens a
server-sent-events stream and reloads the page when a build has finished. An article whose last
build failed is shown as its ``path:line`` errors instead of its stale web edition, and comes
back by itself once fixed. The files in ``dist/`` stay as a build writes them (no script).
"""

from __future__ import annotations

import html
import mimetypes
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from pressroom.build import ArticleResult, BuildRequest
from pressroom.load.articles import output_name
from pressroom.model import Diagnostic, display_path
from pressroom.watch import watch

EVENTS = "/__pressroom/events"
KEEP_ALIVE_SECONDS = 15.0

LISTENER = """<script>
(function () {{
  var events = new EventSource("{events}?since={generation}");
  events.onmessage = function () {{ events.close(); location.reload(); }};
}})();
</script>
"""

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 1rem/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 48rem; padding: 0 1rem; color: #111; }}
pre {{ white-space: pre-wrap; background: #fff0f0; border-left: 4px solid #b00020; padding: 1rem; }}
li {{ margin: 0.25rem 0; }}
</style>
</head>
<body>
<h1>{title}</h1>
{content}
</body>
</html>
"""


@dataclass
class Built:
    """The last build of one article, as the preview shows it."""

    source: Path
    slug: str
    errors: list[Diagnostic] = field(default_factory=list)


class PreviewState:
    """What the server knows of the builds: each article's slug and last errors, and a counter
    of finished builds that wakes every open page."""

    def __init__(self, request: BuildRequest):
        self.request = request
        self.changed = threading.Condition()
        self.generation = 0
        self.articles: dict[Path, Built] = {}
        self.seen: set[Path] = set()

    def record(self, result: ArticleResult) -> None:
        """One article's result from the build under way."""
        previous = self.articles.get(result.source)
        slug = output_name(result.source, self.request.overrides)
        if result.errors and previous is not None:
            slug = previous.slug  # a broken front matter may hide its slug: keep the page it had
        with self.changed:
            self.articles[result.source] = Built(result.source, slug, list(result.errors))
            self.seen.add(result.source)

    def finished(self) -> None:
        """A build ended: forget articles that are gone, wake every page."""
        with self.changed:
            for source in [s for s in self.articles if s not in self.seen]:
                del self.articles[source]
            self.seen = set()
            self.generation += 1
            self.changed.notify_all()

    def wait(self, since: int, timeout: float) -> int:
        """The generation once it is past ``since`` (or after ``timeout``)."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation > since, timeout)
            return self.generation

    def by_slug(self, slug: str) -> Built | None:
        with self.changed:
            return next((b for b in self.articles.values() if b.slug == slug), None)

    def listing(self) -> list[Built]:
        with self.changed:
            return sorted(self.articles.values(), key=lambda b: b.slug)


def make_server(state: PreviewState, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for the output folder, the error pages and the reload events."""
    out_dir = state.request.out_dir.resolve()
    formats = state.request.formats

    class Handler(BaseHTTPRequestHandler):
        server_version = "Pressroom-preview"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base's name)
            pass  # the terminal shows the builds, not every request

        head_only = False

        def do_HEAD(self) -> None:  # noqa: N802 (the base's name)
            self.head_only = True
            self.do_GET()

        def do_GET(self) -> None:  # noqa: N802 (the base's name)
            url = urlsplit(self.path)
            path = unquote(url.path)
            if path == EVENTS:
                since = parse_qs(url.query).get("since", ["0"])[0]
                self.events(int(since) if since.isdigit() else 0)
            elif path == "/":
                self.page("Pressroom preview", self.index(), HTTPStatus.OK)
            else:
                self.article_file(path)

        def article_file(self, path: str) -> None:
            parts = [p for p in path.split("/") if p]
            built = state.by_slug(parts[0]) if parts else None
            is_page = len(parts) == 1 and path.endswith("/") or parts[1:] == ["index.html"]
            if built is not None and built.errors and is_page:
                lines = "\n".join(html.escape(d.format()) for d in built.errors)
                content = f"<p>The last build of {html.escape(display_path(built.source))} failed:</p>\n<pre>{lines}</pre>"
                self.page(f"Build failed: {display_path(built.source)}", content, HTTPStatus.OK)
                return
            if len(parts) == 1 and not path.endswith("/") and (out_dir / parts[0]).is_dir():
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path + "/")
                self.end_headers()
                return
            target = (out_dir / path.lstrip("/")).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(out_dir) or not target.is_file():
                self.page("Not found", f'<p>{html.escape(path)} is not built (yet). <a href="/">All articles</a></p>', HTTPStatus.NOT_FOUND)
                return
            data = target.read_bytes()
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind == "text/html":
                data = with_listener(data.decode("utf-8"), state.generation).encode("utf-8")
            self.send(data, kind, HTTPStatus.OK)

        def index(self) -> str:
            items = []
            for built in state.listing():
                slug = html.escape(built.slug)
                links = [f'<a href="/{slug}/">{slug}</a>']
                links += [f'<a href="/{slug}.{f}">{f.upper()}</a>' for f in ("pdf", "epub") if f in formats]
                problem = f" — <strong>build failed</strong>: {html.escape(built.errors[0].format())}" if built.errors else ""
                items.append(f"<li>{' · '.join(links)}{problem}</li>")
            return "<ul>\n" + "\n".join(items) + "\n</ul>" if items else "<p>Building…</p>"

        def page(self, title: str, content: str, status: HTTPStatus) -> None:
            text = ERROR_PAGE.format(title=html.escape(title), content=content)
            self.send(with_listener(text, state.generation).encode("utf-8"), "text/html", status)

        def send(self, data: bytes, kind: str, status: HTTPStatus) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8" if kind.startswith("text/") else kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not self.head_only:
                self.wfile.write(data)

        def events(self, since: int) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            try:
                self.wfile.write(b"retry: 300\n\n")
                self.wfile.flush()
                while True:
                    generation = state.wait(since, KEEP_ALIVE_SECONDS)
                    if generation > since:
                        self.wfile.write(f"data: {generation}\n\n".encode())
                        self.wfile.flush()
                        return
                    self.wfile.write(b": waiting\n\n")  # a closed page shows up as a failed write
                    self.wfile.flush()
            except OSError:
                return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def with_listener(page: str, generation: int) -> str:
    """A page with the script that reloads it after the next build."""
    script = LISTENER.format(events=EVENTS, generation=generation)
    at = page.rfind("</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + script


def preview(request: BuildRequest, host: str = "127.0.0.1", port: int = 0, stop: threading.Event | None = None) -> int:
    """Serve ``request``'s articles and rebuild on every change until Ctrl-C (or ``stop``)."""
    if "html" not in request.formats:
        request.formats = (*request.formats, "html")
    state = PreviewState(request)
    try:
        server = make_server(state, host, port)
    except OSError as exc:
        print(f"pressroom: error: cannot serve on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    address = f"[{host}]" if ":" in host else host
    print(f"serving http://{address}:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
    thread = threading.Thread(target=server.serve_forever, name="preview-server", daemon=True)
    thread.start()
    try:
        return watch(request, stop, observe=state.record, finished=state.finished)
    finally:
        server.shutdown()
        server.server_close()
