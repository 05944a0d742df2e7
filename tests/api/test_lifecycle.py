"""The real server's life: shutdown under load, readiness while draining, worker deaths, slow clients.

Each test starts `credcheck serve` (two workers, two batch processes each) in a process group of its own
and waits for readiness with a deadline; nothing here sleeps and then asserts (issue #10).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.helpers import REPO, until


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group(pgid: int) -> set[int]:
    """Every live process of a process group (zombies excluded)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                pids.add(int(entry.name))
    return pids


def _children(pid: int) -> set[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


class _Server:
    def __init__(self, tmp: Path, workers: int = 2, **env: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"server-{self.port}.log"
        self.log = self.log_path.open("w")
        environ = {**os.environ, "CREDCHECK_RULES_DIR": str(REPO / "rules"), "CREDCHECK_BATCH_WORKERS": "2", **env}
        environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            cwd=REPO,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as systemd or a terminal would give it
        )

        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail("server exited:\n" + self.log_path.read_text())
            try:
                return httpx.get(self.base + "/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        until(ready, 60, "readiness")

    def workers(self) -> set[int]:
        return _children(self.proc.pid) - {self._tracker()}

    def _tracker(self) -> int:
        for pid in _children(self.proc.pid):
            try:
                if b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                pass
        return -1

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Any]:
    servers: list[_Server] = []

    def make(**env: str) -> _Server:
        servers.append(_Server(tmp_path, **env))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Server]:
    """One server for the tests that leave it running (short timeouts for slow clients)."""
    running = _Server(tmp_path_factory.mktemp("lifecycle"), CREDCHECK_HEADER_TIMEOUT="1", CREDCHECK_BODY_TIMEOUT="1")
    yield running
    running.close()


def test_sigterm_to_the_group_during_large_batches_drains_and_answers_every_item(make_server: Any) -> None:
    # Short, but not so short that a loaded CI machine cannot answer before the deadline (the margin is 2 s).
    server = make_server(CREDCHECK_DRAIN_SECONDS="2", CREDCHECK_SHUTDOWN_TIMEOUT="8")
    items = [{"id": str(i), "applicant": {}} for i in range(3000)]
    body = {"as_of": "2026-11-23", "items": items}
    answers: dict[str, Any] = {}
    streaming = threading.Event()

    def json_batch() -> None:
        try:
            answers["json"] = httpx.post(server.base + "/v1/eligibility/batch", json=body, timeout=60)
        except httpx.HTTPError as exc:
            answers["json"] = exc

    def ndjson_batch() -> None:
        parts: list[bytes] = []
        try:
            with httpx.stream(
                "POST", server.base + "/v1/eligibility/batch", json=body, timeout=60,
                headers={"Accept": "application/x-ndjson"},
            ) as r:
                for chunk in r.iter_raw():
                    parts.append(chunk)
                    streaming.set()
                answers["ndjson"] = (r.status_code, b"".join(parts))
        except httpx.HTTPError as exc:
            answers["ndjson"] = exc
        finally:
            streaming.set()

    threads = [threading.Thread(target=json_batch), threading.Thread(target=ndjson_batch)]
    for t in threads:
        t.start()
    assert streaming.wait(60)  # the NDJSON batch is being answered: both batches are running
    os.killpg(server.proc.pid, signal.SIGTERM)  # what systemd, Ctrl-C and Kubernetes send
    # Draining: the listener stays open and readiness fails, so load balancers stop sending work.
    until(lambda: _status(server.base + "/readyz") == 503, 5, "/readyz to answer 503 while draining")
    for t in threads:
        t.join(60)
    answer = answers["json"]
    assert isinstance(answer, httpx.Response), answer
    if answer.status_code == 200:  # it finished in time
        assert [r["id"] for r in answer.json()["items"]] == [item["id"] for item in items]
    else:  # or it is refused as a problem, in time
        assert answer.status_code == 503 and answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["retry-after"] == "1"
    status, content = answers["ndjson"]
    assert status == 200 and content.endswith(b"\n")  # never cut mid-line
    lines = [orjson.loads(line) for line in content.splitlines()]
    assert [line["id"] for line in lines] == [item["id"] for item in items]  # every item has its line
    assert all(line["ok"] or line["problem"]["status"] == 503 for line in lines)
    code = server.proc.wait(timeout=60)  # no worker stuck in "Waiting for application shutdown"
    assert code == 0
    until(lambda: not _group(server.proc.pid), 10, "every process of the group to exit (no orphans)")
    messages = [line["message"] for line in server.lines()]
    assert "Exception in ASGI application\n" not in messages


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.HTTPError:
        return None


def test_a_killed_worker_takes_its_batch_processes_with_it_and_is_logged(server: _Server) -> None:
    items = [{"id": str(i), "applicant": {}} for i in range(450)]
    with httpx.Client(base_url=server.base, timeout=60) as http:
        owners: dict[int, set[int]] = {}
        for _ in range(4):  # until one worker has started its batch processes
            assert http.post("/v1/eligibility/batch", json={"items": items}).status_code == 200
            owners = {w: _children(w) for w in server.workers() if _children(w)}
            if owners:
                break
        assert owners, "no worker started batch processes"
        worker, batch = next(iter(owners.items()))
        os.kill(worker, signal.SIGKILL)
        until(lambda: not any(_alive(p) for p in batch), 15, "the dead worker's batch processes to exit")
        died = until(
            lambda: [line for line in server.lines() if line.get("worker") == worker and "died" in line["message"]],
            15,
            "the supervisor to log the death",
        )
        assert died[0]["level"] == "error" and "SIGKILL" in died[0]["message"]
        until(lambda: len(server.workers()) == 2, 30, "a replacement worker")
        assert http.post("/v1/eligibility", json={"applicant": {}}).status_code == 200


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_slow_clients_get_408_problems_and_no_server_header(server: _Server) -> None:
    assert "server" not in httpx.get(server.base + "/healthz").headers
    stalled_headers = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"  # and never the blank line
    stalled_body = (
        b"POST /v1/eligibility HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{\"applicant\":"
    )
    for request in (stalled_headers, stalled_body):
        with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
            sock.sendall(request)
            answer = _read_until_closed(sock)
        head, _, content = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        assert b"application/problem+json" in head.lower()
        # no request to read a language from: English, and the header says so as on every problem
        assert b"\r\ncontent-language: en\r\n" in head.lower() + b"\r\n"
        assert orjson.loads(content)["status"] == 408
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        answer = _read_until_closed(sock)
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/problem+json" in head
    assert b"\r\ncontent-language: en\r\n" in head.lower() + b"\r\n"
    assert orjson.loads(content)["title"] == "Malformed request"


def _read_until_closed(sock: socket.socket) -> bytes:
    parts = []
    while chunk := sock.recv(65536):  # the server closes the connection; the socket timeout bounds the wait
        parts.append(chunk)
    return b"".join(parts)


def test_a_key_list_without_a_key_stops_the_server_from_starting() -> None:
    env = {**os.environ, "CREDCHECK_API_KEYS": ","}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(_free_port())],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode != 0
    assert "refusing to start" in done.stderr and "holds no key" in done.stderr


def test_a_500_does_not_close_the_keep_alive_connection(rulebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Starlette's last-resort handler answered and then re-raised to the server, which closed the client's
    connection after every 500. The bug is injected (nothing a client sends yields a 500)."""
    import uvicorn

    from api.main import create_app
    from api.settings import Settings

    app = create_app(Settings(batch_workers=1), rulebook=rulebook)

    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app.state.service.book, "evaluate", explode)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        until(lambda: server.started, 30, "the in-process server")
        body = b'{"applicant": {}}'
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(
                b"POST /v1/eligibility HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            head, content = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 500") and b"connection: close" not in head.lower()
            assert orjson.loads(content)["type"].endswith("/internal-error")
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")  # the same connection
            head, _ = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        thread.join(30)


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        rest += chunk
    return head, rest[:length]
