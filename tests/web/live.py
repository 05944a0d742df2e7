"""A real service on a free loopback port and Debian's Chromium driven by Playwright, for the browser tests
and ``docs/screenshots.py``.

Chromium comes from apt (``/usr/bin/chromium``) and axe-core from npm (``make browser-deps`` installs both);
Playwright never downloads a browser here.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CREDCHECK_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(os.environ.get("CREDCHECK_AXE", REPO / ".venv" / "npm" / "node_modules" / "axe-core" / "axe.min.js"))
# Chromium on a machine without internet access: no background connections, no sandbox (root in CI).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def missing_tools() -> list[str]:
    """What the browser tests need and this machine lacks, each with how to get it."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium, or `make browser-deps`)")
    if not AXE.exists():
        missing.append(f"{AXE} (`make browser-deps` installs axe-core from npm)")
    return missing


@contextlib.contextmanager
def serve(timeout: float = 60.0, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``uvicorn api.main:app`` on a free loopback port; yield its base URL once ``/readyz`` says ready.

    The socket is bound here and handed to uvicorn (``--fd``), so no other process can take the port between
    choosing it and listening on it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = int(listener.getsockname()[1])
    with listener, tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:app", "--fd", str(listener.fileno())],
            cwd=REPO,
            env={**os.environ, "CREDCHECK_BATCH_WORKERS": "1", "CREDCHECK_LOG_LEVEL": "warning", **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(listener.fileno(),),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(process, base, log, timeout)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen[bytes], base: str, log: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the service exited with {process.returncode}:\n{log.read().decode()[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the service was not ready within {timeout:.0f} s")
        time.sleep(0.05)  # the polling interval while waiting for readiness, bounded by the deadline


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium (Debian's) under Playwright."""
    from playwright.sync_api import sync_playwright

    missing = missing_tools()
    if missing:
        raise RuntimeError("the browser tests need: " + "; ".join(missing))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()
