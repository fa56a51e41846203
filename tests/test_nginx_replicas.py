"""Two app replicas behind Debian's nginx (deploy/), on loopback, as docs/SCALING.md
describes: questions go through nginx while one replica is killed and restarted and
the writer publishes a new generation. Only the questions in flight on the killed
replica fail, and they say why; the sessions of the killed replica move to the other
one; both replicas switch to the new generation. nginx runs as the current user with a
configuration of its own in a temporary folder (deploy/nginx_conf.py --standalone)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from app_fixtures import free_port
from conftest import write_excerpt

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
QUESTIONS = [
    "Was ist die Smart City Charta?",
    "Wie behält eine Kommune die Hoheit über ihre Daten?",
    "Welche Rolle spielt Teilhabe bei der Digitalisierung?",
    "Was sagt die Charta über offene Standards?",
]
CUT = "the replica answering this question stopped before it answered; ask again"


def start_replica(port: int, index_dir: Path, corpus_dir: Path, log: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        CHARTA_INDEX_DIR=str(index_dir),
        CHARTA_CORPUS_DIR=str(corpus_dir),
        CHARTA_ADMIN_TOKEN="",
        OMP_NUM_THREADS="1",
    )
    env.pop("CHARTA_FEEDBACK", None)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_healthy(port: int, proc: subprocess.Popen, timeout_s: float = 120) -> str:
    """The generation the replica serves, once it answers its health route."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"replica on port {port} exited with {proc.returncode}"
        try:
            got = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            if got.status_code == 200:
                return got.json()["generation"]
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"replica on port {port} did not start in {timeout_s} s")


@dataclass
class Outcome:
    user: int
    started: float
    ended: float
    replica: str  # the replica nginx sent the answer's stream to ("" if none)
    ok: bool
    message: str


def ask_through(http: httpx.Client, base: str, question: str, user: int) -> Outcome:
    """One question by Gradio's HTTP API: join, then read the answer's event stream."""
    t0 = time.monotonic()
    replica = ""
    try:
        joined = http.post(f"{base}/gradio_api/call/ask", json={"data": [question, []]})
        if joined.status_code != 200:
            return Outcome(user, t0, time.monotonic(), "", False, f"{joined.status_code}: {joined.text.strip()}")
        event = joined.json()["event_id"]
        with http.stream("GET", f"{base}/gradio_api/call/ask/{event}") as stream:
            replica = stream.headers.get("x-lotse-replica", "")
            if stream.status_code != 200:
                body = stream.read().decode("utf-8", "replace").strip()
                return Outcome(user, t0, time.monotonic(), replica, False, f"{stream.status_code}: {body}")
            text = "".join(stream.iter_text())
    except httpx.TransportError:
        # The stream was cut: nginx had passed on the replica's headers when it died.
        return Outcome(user, t0, time.monotonic(), replica, False, CUT)
    if "event: complete" in text:
        return Outcome(user, t0, time.monotonic(), replica, True, "")
    if "event: error" in text:
        return Outcome(user, t0, time.monotonic(), replica, False, text.strip()[-300:])
    return Outcome(user, t0, time.monotonic(), replica, False, CUT)


NO_NGINX = "nginx is not installed (scripts/run-tests.sh installs Debian's nginx)"


@pytest.mark.skipif(NGINX is None, reason=NO_NGINX)
def test_the_configuration_nginx_accepts_gives_each_replica_the_others_as_backups(tmp_path):
    sys.path.insert(0, str(ROOT / "deploy"))
    from nginx_conf import render

    with pytest.raises(ValueError, match="host:port"):
        render(["10.0.0.1"], "80")
    with pytest.raises(ValueError, match="at least one"):
        render([], "80")
    replicas = ["10.0.0.11:7860", "10.0.0.12:7860", "10.0.0.13:7860"]
    conf = tmp_path / "nginx.conf"
    conf.write_text(render(replicas, f"127.0.0.1:{free_port()}", standalone=tmp_path))
    text = conf.read_text()
    for i in range(3):
        group = text.split(f"upstream lotse_r{i} {{", 1)[1].split("}", 1)[0]
        assert group.count("backup") == 2 and f"{replicas[i]} max_fails=1 fail_timeout=10s;" in group
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.slow
@pytest.mark.skipif(NGINX is None, reason=NO_NGINX)
def test_two_replicas_behind_nginx_survive_a_killed_replica_and_a_new_generation(workspace, tmp_path):
    sys.path.insert(0, str(ROOT / "deploy"))
    from nginx_conf import render

    logs = tmp_path / "logs"
    logs.mkdir()
    ports = [free_port(), free_port()]
    replicas = [
        start_replica(p, workspace.index_dir, workspace.corpus_dir, logs / f"replica-{i}.log")
        for i, p in enumerate(ports)
    ]
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    listen = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        render([f"127.0.0.1:{p}" for p in ports], f"127.0.0.1:{listen}", fail_timeout_s=2, standalone=prefix)
    )
    nginx = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{listen}"
    stop = threading.Event()
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    threads: list[threading.Thread] = []
    users: list[httpx.Client] = []
    try:
        first = {wait_healthy(p, r) for p, r in zip(ports, replicas)}
        assert len(first) == 1, first
        (generation,) = first

        # Users, each with a client of their own that keeps nginx's affinity cookie, and
        # an address of their own; two per replica (new visitors go to each in turn).
        by_replica: dict[str, list[int]] = {"r0": [], "r1": []}
        for n in range(8):
            http = httpx.Client(headers={"X-Forwarded-For": f"10.9.0.{n + 1}"}, timeout=120)
            got = http.get(f"{base}/healthz")
            assert got.status_code == 200 and got.json()["generation"] == generation
            assert http.cookies["lotse_replica"] == got.headers["x-lotse-replica"]
            served = by_replica[got.headers["x-lotse-replica"]]
            if len(served) < 2:
                served.append(len(users))
                users.append(http)
            if all(len(v) == 2 for v in by_replica.values()):
                break
        assert all(len(v) == 2 for v in by_replica.values()), by_replica
        # The cookie keeps a user on their replica.
        for replica, members in by_replica.items():
            assert {users[i].get(f"{base}/healthz").headers["x-lotse-replica"] for i in members} == {replica}

        def user(i: int) -> None:
            n = 0
            while not stop.is_set():
                got = ask_through(users[i], base, QUESTIONS[(i + n) % len(QUESTIONS)], i)
                n += 1
                with lock:
                    outcomes.append(got)
                time.sleep(0.5)  # users read the answer (and the replica's restart needs a core)

        threads += [threading.Thread(target=user, args=(i,), daemon=True) for i in range(len(users))]
        for th in threads:
            th.start()
        time.sleep(4)

        # Kill the first replica hard (as a crash or the OOM killer would) mid-load.
        victim = "r0"
        replicas[0].send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        replicas[0].wait(timeout=10)
        # Until the kernel has torn it down (reaped), its socket may still take connections.
        died_at = time.monotonic()
        time.sleep(3)
        replicas[0] = start_replica(ports[0], workspace.index_dir, workspace.corpus_dir, logs / "replica-0.log")
        assert wait_healthy(ports[0], replicas[0]) == generation
        restarted_at = time.monotonic()
        time.sleep(3)  # past fail_timeout: nginx sends the replica new visitors again
        # The killed replica's users stay where their sessions moved; a new visitor
        # comes to the restarted replica.
        for n in range(6):
            http = httpx.Client(headers={"X-Forwarded-For": f"10.9.1.{n + 1}"}, timeout=120)
            if http.get(f"{base}/healthz").headers["x-lotse-replica"] == victim:
                by_replica[victim].append(len(users))
                users.append(http)
                threads.append(threading.Thread(target=user, args=(len(users) - 1,), daemon=True))
                threads[-1].start()
                break
            http.close()
        else:
            raise AssertionError("no new visitor reached the restarted replica")

        # The writer adds a document and publishes a new generation, as deploy/writer.sh.
        write_excerpt(workspace.corpus_dir / "leitfaden.pdf", range(9, 12), "Leitfaden Daten")
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "ingest",
                "-q",
                "--corpus",
                str(workspace.corpus_dir),
                "--index-dir",
                str(workspace.index_dir),
            ],
            cwd=ROOT,
            env=dict(os.environ, HF_HUB_OFFLINE="1"),
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert built.returncode == 0, built.stderr
        published_at = time.monotonic()
        deadline = published_at + 30
        now = {generation}
        while time.monotonic() < deadline:
            now = {httpx.get(f"http://127.0.0.1:{p}/healthz", timeout=5).json()["generation"] for p in ports}
            if generation not in now:
                break
            time.sleep(0.2)
        assert len(now) == 1 and generation not in now, f"replicas serve {now}, not only the new generation"
        time.sleep(2)
        stop.set()
        for th in threads:
            th.join(timeout=150)

        # Both replicas answer again, through nginx, for their own users.
        served_after = {o.replica for o in outcomes if o.ok and o.started > published_at}
        assert served_after == set(by_replica), served_after
        assert any(o.ok and o.replica == victim and o.started > restarted_at for o in outcomes)

        failed = [o for o in outcomes if not o.ok]
        in_flight = [o for o in outcomes if o.started <= died_at and o.ended >= killed_at]
        for o in failed:
            # Only questions in flight on the killed replica while it died, and they say so.
            assert o.started <= died_at and o.ended >= killed_at and o.user in by_replica[victim], o
            assert o.message == CUT or "Bitte die Frage noch einmal stellen" in o.message, o
        assert len(outcomes) - len(failed) > 20
        print(
            f"{len(outcomes)} questions, {len(failed)} failed ({len(in_flight)} were in flight at the kill); "
            f"replica {victim} killed, restarted after {restarted_at - killed_at:.1f} s"
        )
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=150)
        for http in users:
            http.close()
        for proc in replicas:
            proc.terminate()
        nginx.send_signal(signal.SIGQUIT)
        for proc in [*replicas, nginx]:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
