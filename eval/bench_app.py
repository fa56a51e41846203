"""``python -m eval.bench_app``: answer times with many simultaneous users.

Starts ``python app.py`` in its own process on a free local port (over
CHARTA_INDEX_DIR, or --index-dir), as it is deployed, then N users (default 20) each
ask R questions (default 5) at the same moment through the Gradio API, each with their
own session; every user asks different questions of eval/questions.jsonl. Prints
p50/p95/max answer time per question as a table. A measurement, not a test; it sends
traffic only to 127.0.0.1. The users' clients run in this process, on the same cores.

    python -m eval.bench_app [--users 20] [--rounds 5] [--index-dir DIR]
    python -m eval.bench_app --replicas 2 [--users 20]
    python -m eval.bench_app --hostile 30 [--rounds 20]

Beside the answer times it reports the server's own CPU time per answer (user + system
time of the app processes from /proc, during the measured questions only), and the
answers per second that the machine's cores could serve at that cost with the clients
elsewhere. With ``--replicas N``, N app processes run behind nginx (deploy/, as the
current user with a configuration in a temporary folder) and the users ask through it.

With ``--hostile N``, one client (another address, sent as ``X-Forwarded-For``, which
the app trusts from 127.0.0.1 as it would from a reverse proxy) keeps N questions of
1,000 characters running at all times, while one normal user asks ``--rounds``
questions one after another; prints the normal user's answer times and what became of
the hostile requests: answered, refused by the per-client limit on running questions,
or turned away at the door by the per-client rate limit (HTTP 429).
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common.settings import PROJECT_ROOT
from eval.metrics import load_questions, percentile


def questions() -> list[str]:
    """Distinct questions from the dev set, so no answer comes from a query cache."""
    return [q.question for q in load_questions()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(url: str, users: int, rounds: int) -> tuple[list[float], list[str], float]:
    from gradio_client import Client

    # Each user at an address of their own, as in a workshop room (the app limits
    # requests per address); sent as X-Forwarded-For, as a reverse proxy would.
    clients = [
        Client(url, verbose=False, headers={"X-Forwarded-For": f"10.20.{i // 250}.{i % 250 + 1}"}) for i in range(users)
    ]
    pool = questions()
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(users)

    def user(i: int) -> None:
        start.wait()
        for r in range(rounds):
            q = pool[(i * rounds + r) % len(pool)]
            t0 = time.perf_counter()
            try:
                clients[i].predict(q, api_name="/ask")
            except Exception as exc:  # a failed answer is a result too
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                times.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    wall = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return times, errors, time.perf_counter() - wall


HOSTILE_ADDRESS = "203.0.113.66"  # TEST-NET-3: never a real visitor
HOSTILE_QUESTION = ("Wie sichern Kommunen Datenhoheit und Teilhabe bei digitalen Plattformen? " * 14)[:1000]


def run_hostile(url: str, hostile: int, rounds: int) -> tuple[list[float], dict[str, int]]:
    """A normal user's answer times while ``hostile`` requests of one client keep running."""
    import httpx
    from gradio_client import Client

    stop = threading.Event()
    outcome = {"answered": 0, "refused": 0, "turned away": 0, "other": 0}
    lock = threading.Lock()
    headers = {"X-Forwarded-For": HOSTILE_ADDRESS}

    def attacker() -> None:
        with httpx.Client(headers=headers, timeout=120) as http:
            while not stop.is_set():
                try:
                    joined = http.post(url + "/gradio_api/call/ask", json={"data": [HOSTILE_QUESTION]})
                    if joined.status_code == 429:
                        text = "turned away"
                    else:
                        text = http.get(f"{url}/gradio_api/call/ask/{joined.json()['event_id']}").text
                except (httpx.HTTPError, ValueError, KeyError):
                    text = ""
                kind = (
                    "turned away"
                    if text == "turned away"
                    else "answered"
                    if "event: complete" in text
                    else "refused"
                    if "zu viele" in text
                    else "other"
                )
                with lock:
                    outcome[kind] += 1

    threads = [threading.Thread(target=attacker, daemon=True) for _ in range(hostile)]
    for th in threads:
        th.start()
    time.sleep(2.0)  # the flood is under way before the user asks
    user = Client(url, verbose=False)
    pool = questions()
    times = []
    for r in range(rounds):
        t0 = time.perf_counter()
        user.predict(pool[r % len(pool)], api_name="/ask")
        times.append(time.perf_counter() - t0)
    stop.set()
    for th in threads:
        th.join(timeout=60)
    return times, outcome


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_nginx(ports: list[int], folder: str) -> tuple[subprocess.Popen, int]:
    """nginx in front of the replicas on ``ports``, as deploy/nginx_conf.py writes it."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    spec = importlib.util.spec_from_file_location("nginx_conf", PROJECT_ROOT / "deploy" / "nginx_conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    listen = free_port()
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write(module.render([f"127.0.0.1:{p}" for p in ports], f"127.0.0.1:{listen}", standalone=Path(folder)))
    proc = subprocess.Popen(
        [nginx, "-p", folder, "-c", conf, "-e", os.path.join(folder, "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{listen}/healthz", timeout=1)
            return proc, listen
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("nginx did not start")


def start_app(index_dir: str | None, port: int) -> subprocess.Popen:
    """``python app.py`` in a process of its own, as it is deployed; waits until it serves."""
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    if index_dir:
        env["CHARTA_INDEX_DIR"] = index_dir
    app = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while app.poll() is None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return app
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the app did not start (exit code {app.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_app", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="questions per user")
    parser.add_argument("--index-dir")
    parser.add_argument("--hostile", type=int, default=0, help="hostile requests of one client kept running")
    parser.add_argument("--replicas", type=int, default=1, help="app processes; more than one run behind nginx")
    args = parser.parse_args(argv)
    if args.users < 1 or args.rounds < 1 or args.replicas < 1:
        parser.error("--users, --rounds and --replicas must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    ports = [free_port() for _ in range(args.replicas)]
    apps = [start_app(args.index_dir, p) for p in ports]
    nginx: subprocess.Popen | None = None
    folder = tempfile.mkdtemp(prefix="lotse-nginx-")
    try:
        url = f"http://127.0.0.1:{ports[0]}"
        if args.replicas > 1:
            nginx, listen = start_nginx(ports, folder)
            url = f"http://127.0.0.1:{listen}"
        for _ in apps:
            run(url, 1, 1)  # warm-up: the first request pays one-time start costs
        cpu_before = sum(cpu_seconds(a.pid) for a in apps)
        if args.hostile:
            hostile_times, outcome = run_hostile(url, args.hostile, args.rounds)
        else:
            times, errors, wall = run(url, args.users, args.rounds)
        server_cpu = sum(cpu_seconds(a.pid) for a in apps) - cpu_before
    finally:
        for proc in [*apps, *([nginx] if nginx else [])]:
            proc.terminate()
        for proc in [*apps, *([nginx] if nginx else [])]:
            proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    if args.hostile:
        print(f"1 user, {args.rounds} questions, while one client keeps {args.hostile} long questions running")
        print("| hostile | user p50 s | user p95 s | user max s | hostile: answered | refused | turned away | other |")
        print("|---|---|---|---|---|---|---|---|")
        print(
            f"| {args.hostile} | {statistics.median(hostile_times):.2f} | {percentile(hostile_times, 95):.2f} | "
            f"{max(hostile_times):.2f} | {outcome['answered']} | {outcome['refused']} | "
            f"{outcome['turned away']} | {outcome['other']} |"
        )
        return 0
    if not times:
        print(f"all {len(errors)} requests failed; first: {errors[:1]}", file=sys.stderr)
        return 1
    cores = os.cpu_count() or 1
    per_answer = server_cpu / len(times)
    through = f"{args.replicas} replicas behind nginx" if args.replicas > 1 else "one app process"
    print(f"{args.users} simultaneous users × {args.rounds} questions, {through}, {cores} cores")
    print(
        "| replicas | users | answers | errors | p50 s | p95 s | max s | mean s | answers/s | "
        "server CPU ms/answer | capacity answers/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.replicas} | {args.users} | {len(times)} | {len(errors)} | {statistics.median(times):.2f} | "
        f"{percentile(times, 95):.2f} | {max(times):.2f} | {statistics.mean(times):.2f} | "
        f"{len(times) / wall:.1f} | {1000 * per_answer:.0f} | {cores / per_answer:.0f} |"
    )
    print(
        "server CPU: user + system time of the app processes during the measured questions; "
        "capacity = cores / CPU per answer, with the clients on other machines"
    )
    if errors:
        print(f"first error: {errors[0]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
