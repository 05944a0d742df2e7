"""The container image, running, tested over HTTP on loopback the way an operator meets it.

Run by ``make image-test`` (``deploy/image.sh test``), which builds the image first; not collected by
``make test`` (pytest's testpaths is ``tests/``), so the suite never needs podman. Needs podman with the
``CONTAINERS_CONF`` that ``deploy/image.sh`` writes (runc, ulimits within this machine's hard limits).

The container's answers are compared, whole, with the answers of ``api.main.create_app()`` run in this
process from the checkout: whatever shape the answers take, the image must give the same ones. Every
container this module starts carries a label and is removed at the end, whatever happens.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

IMAGE = os.environ.get("CREDCHECK_IMAGE", "localhost/credcheck:dev")
RUN_LABEL = f"credcheck-image-test={os.environ.get('CREDCHECK_IMAGE_TEST_RUN', os.getpid())}"
REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-23"  # fixed, so both sides evaluate on the same date
# Short, so the shutdown test is quick; the test stops the container with a far longer grace (podman's -t)
# so that a SIGKILL from podman could not pass for a clean exit.
SHUTDOWN_TIMEOUT = 6
# Allowed beyond it for the processes to exit and podman to tear the container down (about 1.6 s here).
STOP_MARGIN = 5
# Headers that must agree between the container and the in-process app (request ids and dates differ).
COMPARED_HEADERS = ("content-type", "x-rules-version", "cache-control", "allow")

# The in-process app must see the same (default) configuration as the container, not this shell's.
for _name in [n for n in os.environ if n.startswith("CREDCHECK_")]:
    del os.environ[_name]


# ------------------------------------------------------------------------------------------- helpers


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


class Container:
    """One running container of the image, its port published on 127.0.0.1."""

    def __init__(self, *run_args: str) -> None:
        self.id = podman(
            "run", "--detach", "--label", RUN_LABEL, "--publish", "127.0.0.1::8000", *run_args, IMAGE
        ).stdout.strip()
        try:
            port = podman("port", self.id, "8000/tcp").stdout.strip().rsplit(":", 1)[1]
            self.url = f"http://127.0.0.1:{port}"
            self.wait_ready()
        except BaseException:
            self.remove()
            raise

    def wait_ready(self, deadline_s: float = 60) -> None:
        """Poll /readyz until it answers 200; fail early, with the logs, if the container exits."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.state()["Status"] != "running":
                pytest.fail(f"the container exited while starting: {self.state()}\n{self.logs()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"not ready within {deadline_s} s\n{self.logs()}")

    def state(self) -> dict[str, Any]:
        return json.loads(podman("inspect", "--format", "{{json .State}}", self.id).stdout)

    def inspect(self) -> dict[str, Any]:
        return json.loads(podman("inspect", self.id).stdout)[0]

    def logs(self) -> str:
        proc = podman("logs", self.id, check=False)
        return proc.stdout + proc.stderr

    def exec(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return podman("exec", self.id, *command, check=check)

    def python(self, code: str) -> Any:
        """Run Python inside the container (as the image's user) and return what it prints, as JSON."""
        return json.loads(self.exec("python", "-c", code).stdout)

    def remove(self) -> None:
        podman("rm", "--force", "--time", "0", self.id, check=False)


def read_only_container(*extra: str) -> Container:
    """How the README and deploy/ run the image: read-only root, a small tmpfs on /tmp and nothing else."""
    return Container(
        "--read-only",
        "--read-only-tmpfs=false",
        "--tmpfs",
        "/tmp:rw,size=64m,mode=1777",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        *extra,
    )


def fixture_requests() -> list[dict[str, Any]]:
    """Every case of the rule fixtures (tests/rules/) as an eligibility request for the whole catalogue."""
    requests = []
    for path in sorted((REPO / "tests" / "rules" / "credentials").glob("*/*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            request = {"as_of": AS_OF, "applicant": case.get("applicant") or {}}
            if case.get("state"):
                request["state"] = case["state"]
            requests.append(json.loads(json.dumps(request, default=str)))  # YAML dates as ISO strings
    assert len(requests) > 400, "expected the rule fixtures to give several hundred applicants"
    return requests


def readme_request() -> dict[str, Any]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- README example request")[1].split("```")[1]
    match = re.search(r"-d '(\{.*?\})' \|", block, re.S)
    assert match, "cannot find the README example's request body"
    return {**json.loads(match.group(1)), "as_of": AS_OF}


def assert_same(remote: httpx.Response, local: Any, what: str) -> None:
    assert remote.status_code == local.status_code, f"{what}: {remote.status_code} != {local.status_code}"
    for header in COMPARED_HEADERS:
        assert remote.headers.get(header) == local.headers.get(header), f"{what}: header {header} differs"
    if remote.headers.get("content-type", "").endswith("json"):
        assert remote.json() == local.json(), f"{what}: the bodies differ"
    else:
        assert remote.content == local.content, f"{what}: the bodies differ"


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def container() -> Iterator[Container]:
    c = read_only_container()
    try:
        yield c
    finally:
        c.remove()


@pytest.fixture(scope="module")
def http(container: Container) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=container.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def local() -> Iterator[Any]:
    import logging

    from starlette.testclient import TestClient

    from api.main import create_app

    logging.getLogger("credcheck").setLevel(logging.WARNING)  # the container's logs are the ones that matter
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


# ------------------------------------------------------------------------------------------- the tests


def test_health_and_readiness_answer_as_in_process(http: httpx.Client, local: Any) -> None:
    for path in ("/healthz", "/readyz"):
        answer = http.get(path)
        assert answer.status_code == 200, answer.text
        assert_same(answer, local.get(path), path)


def test_the_rule_set_served_is_the_repos(http: httpx.Client) -> None:
    """The digest of the repo's rule files appears in what the container reports about its rule set (looked
    for anywhere in /healthz, so a reshaped answer still has to carry it)."""
    from engine import load_rule_set, rule_set_digest

    digest = rule_set_digest(REPO / "rules")
    assert load_rule_set(REPO / "rules").digest == digest
    health = http.get("/healthz")
    assert health.status_code == 200
    assert digest in health.text, f"the container does not report the repo's rule set {digest}: {health.text}"


def test_catalogue_state_and_errors_answer_as_in_process(http: httpx.Client, local: Any) -> None:
    gets = [
        "/v1/credentials",
        "/v1/credentials/aama.cma",
        "/v1/states/WA",
        "/v1/states/wa",
        "/v1/states/GU",
        "/v1/credentials/no.such",
        "/nowhere",
    ]
    for path in gets:
        assert_same(http.get(path), local.get(path), f"GET {path}")
    readme = readme_request()
    posts: list[tuple[str, Any]] = [
        ("/v1/eligibility", readme),
        ("/v1/eligibility", {**readme, "credentials": ["no.such"]}),  # 422 naming the field
        ("/v1/eligibility", {"as_of": AS_OF, "applicant": {"programs": [{"clock_hours": "many"}]}}),
        ("/v1/eligibility", b"{not json"),
        ("/v1/eligibility/batch", {"as_of": AS_OF, "items": []}),
    ]
    for path, body in posts:
        if isinstance(body, bytes):
            kwargs: dict[str, Any] = {"content": body, "headers": {"content-type": "application/json"}}
        else:
            kwargs = {"json": body}
        assert_same(http.post(path, **kwargs), local.post(path, **kwargs), f"POST {path} {str(body)[:60]}")
    assert http.post("/v1/eligibility", json=readme).status_code == 200


def test_every_fixture_applicant_gets_the_in_process_answer(http: httpx.Client, local: Any) -> None:
    for n, request in enumerate(fixture_requests()):
        remote = http.post("/v1/eligibility", json=request)
        assert remote.status_code == 200, (n, remote.text[:500])
        assert_same(remote, local.post("/v1/eligibility", json=request), f"fixture request {n}")


def test_a_batch_in_worker_processes_gets_the_in_process_answer(http: httpx.Client, local: Any) -> None:
    # Over 400 items the service hands the batch to worker processes (engine/_batch.py): in the container,
    # that means process pools on a read-only root with /dev/shm and the /tmp tmpfs only.
    items = [{"id": f"a{n}", "applicant": r["applicant"]} for n, r in enumerate(fixture_requests())]
    assert len(items) >= 400
    body = {"as_of": AS_OF, "state": "WA", "items": items}
    remote = http.post("/v1/eligibility/batch", json=body)
    assert remote.status_code == 200, remote.text[:500]
    assert_same(remote, local.post("/v1/eligibility/batch", json=body), "batch")
    assert [item["id"] for item in remote.json()["items"]] == [item["id"] for item in items]


def test_every_process_runs_as_a_non_root_user(container: Container) -> None:
    assert container.exec("id", "-u").stdout.strip() not in ("", "0")
    uids = container.python(
        "import glob, json; print(json.dumps({p.split('/')[2]: [int(u) for u in l.split()[1:]] "
        "for p in glob.glob('/proc/[0-9]*/status') for l in open(p) if l.startswith('Uid:')}))"
    )
    assert "1" in uids, "PID 1 is missing from the container's process list"
    assert len(uids) >= 4, f"expected the server, two workers and this probe: {uids}"  # master, 2 workers, probe
    assert all(uid != 0 for ids in uids.values() for uid in ids), f"real/effective/saved/fs uids: {uids}"


def test_root_filesystem_is_read_only_and_metrics_work_from_tmp(container: Container, http: httpx.Client) -> None:
    assert container.inspect()["HostConfig"]["ReadonlyRootfs"] is True
    probe = container.python(
        "import errno, json, os\n"
        "out = {}\n"
        "for d in ('/', '/opt/venv', '/opt/venv/lib', '/etc', '/tmp'):\n"
        "    try:\n"
        "        open(os.path.join(d, 'probe'), 'w').close(); out[d] = 'written'\n"
        "    except OSError as e:\n"
        "        out[d] = errno.errorcode[e.errno]\n"
        "print(json.dumps(out))"
    )
    assert probe == {
        "/": "EROFS",
        "/opt/venv": "EROFS",
        "/opt/venv/lib": "EROFS",
        "/etc": "EROFS",
        "/tmp": "written",
    }, probe
    # Two workers keep their counters in files under /tmp; /metrics aggregates them, so it must work here.
    metrics = http.get("/metrics")
    assert metrics.status_code == 200
    assert "credcheck_rules_info" in metrics.text and "credcheck_http_requests_total" in metrics.text


def test_the_service_writes_only_under_tmp() -> None:
    """With a writable root, everything the service changes after serving every kind of request is in /tmp:
    the reason a tmpfs on /tmp is the only writable mount the manifests give it."""
    c = Container()
    try:
        with httpx.Client(base_url=c.url, timeout=60) as http:
            items = [{"id": str(n), "applicant": r["applicant"]} for n, r in enumerate(fixture_requests())]
            assert http.post("/v1/eligibility/batch", json={"as_of": AS_OF, "items": items}).status_code == 200
            assert http.post("/v1/eligibility", json=readme_request()).status_code == 200
            for path in ("/v1/credentials", "/v1/states/WA", "/metrics", "/healthz", "/readyz", "/openapi.json"):
                assert http.get(path).status_code == 200, path
        changes = [line.split(maxsplit=1) for line in podman("diff", c.id).stdout.splitlines()]
    finally:
        c.remove()
    # /etc itself shows as changed: the runtime mounts /etc/hosts, /etc/hostname and /etc/resolv.conf.
    outside = [(kind, path) for kind, path in changes if path != "/tmp" and not path.startswith("/tmp/")]
    assert outside == [("C", "/etc")], outside
    assert any(path.startswith("/tmp/credcheck-metrics-") for _, path in changes), changes


def test_image_declares_its_healthcheck_and_it_passes(container: Container) -> None:
    config = json.loads(podman("image", "inspect", IMAGE).stdout)[0]
    assert config["Config"]["User"] not in ("", "0", "root")
    assert json.loads(podman("inspect", "--format", "{{json .Config.Healthcheck}}", container.id).stdout)["Test"]
    assert podman("healthcheck", "run", container.id, check=False).returncode == 0


def test_the_image_validates_its_rule_set(container: Container) -> None:
    out = container.exec("credcheck", "rules", "validate").stdout
    assert "rule set OK" in out, out


def test_sigterm_drains_in_flight_requests_and_exits_within_the_shutdown_timeout() -> None:
    """`podman stop` (SIGTERM to PID 1, what Kubernetes does) while two streamed batches are in flight: one
    read to the end, one whose client has stalled. The first is answered in full; the service gives up on
    the stalled one after CREDCHECK_SHUTDOWN_TIMEOUT and exits by itself with code 0, well before podman's
    own deadline (SHUTDOWN_TIMEOUT + 30 s, after which podman would SIGKILL: exit code 137)."""
    c = read_only_container("--env", f"CREDCHECK_SHUTDOWN_TIMEOUT={SHUTDOWN_TIMEOUT}")
    try:
        applicants = [r["applicant"] for r in fixture_requests()]
        # Full detail: a few hundred kilobytes a line, far more than the sockets buffer, so neither answer
        # can have been sent completely before SIGTERM arrives: both are in flight when it does.
        body = {
            "as_of": AS_OF,
            "detail": "full",
            "items": [{"id": str(n), "applicant": a} for n, a in enumerate(applicants[:200])],
        }
        ndjson = {"accept": "application/x-ndjson"}
        with (
            httpx.Client(base_url=c.url, timeout=60) as read_all,
            httpx.Client(base_url=c.url, timeout=60) as stall,
            read_all.stream("POST", "/v1/eligibility/batch", json=body, headers=ndjson) as full,
            stall.stream("POST", "/v1/eligibility/batch", json=body, headers=ndjson) as stalled,
        ):
            assert full.status_code == stalled.status_code == 200
            lines = full.iter_lines()
            received = [next(lines)]
            stalled_lines = stalled.iter_lines()  # kept: a dropped iterator would close the response
            next(stalled_lines)  # started; then this client reads nothing more
            stop: dict[str, Any] = {}

            def stop_container() -> None:
                t0 = time.monotonic()
                stop["proc"] = podman("stop", "--time", str(SHUTDOWN_TIMEOUT + 30), c.id, check=False)
                stop["seconds"] = time.monotonic() - t0

            stopper = threading.Thread(target=stop_container)
            stopper.start()
            deadline = time.monotonic() + 15
            while "Shutting down" not in c.logs():  # the signal has reached the workers
                assert time.monotonic() < deadline, "no worker logged 'Shutting down' after podman stop"
                time.sleep(0.05)
            received += list(lines)
            stopper.join(timeout=SHUTDOWN_TIMEOUT + 60)
        assert not stopper.is_alive(), "podman stop did not return"
        assert [json.loads(line)["id"] for line in received] == [str(n) for n in range(200)]
        state = c.state()
        logs = c.logs()
        shutdown = f"{stop['seconds']:.1f} s (CREDCHECK_SHUTDOWN_TIMEOUT={SHUTDOWN_TIMEOUT})"
        print(f"\nSIGTERM to exit: {shutdown}, exit code {state['ExitCode']}")  # noqa: T201 - a figure to report
        assert stop["proc"].returncode == 0, stop["proc"].stderr
        assert state["ExitCode"] == 0, f"exit code {state['ExitCode']} (137: killed; 143: SIGTERM not handled)"
        assert not state["OOMKilled"]
        assert stop["seconds"] < SHUTDOWN_TIMEOUT + STOP_MARGIN, f"took {stop['seconds']:.1f} s to stop\n{logs}"
        assert "Traceback" not in logs, logs
    finally:
        c.remove()
