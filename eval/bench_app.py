"""``python -m eval.bench_app``: answer times with many simultaneous users.

Starts ``python app.py`` in its own process on a free local port (over
CHARTA_INDEX_DIR, or --index-dir), as it is deployed, then N users (default 20) each
ask R questions (default 5) at the same moment through the Gradio API, each with their
own session; every user asks different questions of eval/questions.jsonl. Prints
p50/p95/max answer time per question as a table. A measurement, not a test; it sends
traffic only to 127.0.0.1. The users' clients run in this process, on the same cores.

    python -m eval.bench_app [--users 20] [--rounds 5] [--index-dir DIR]
    python -m eval.bench_app --hostile 30 [--rounds 20]

With ``--hostile N``, one client (another address, sent as ``X-Forwarded-For``, which
the app trusts from 127.0.0.1 as it would from a reverse proxy) keeps N questions of
1,000 characters running at all times, while one normal user asks ``--rounds``
questions one after another; prints the normal user's answer times and what became of
the hostile requests: answered, refused by the per-client limit on running questions,
or turned away at the door by the per-client rate limit (HTTP 429).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

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
    args = parser.parse_args(argv)
    if args.users < 1 or args.rounds < 1:
        parser.error("--users and --rounds must be at least 1")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    port = free_port()
    app = start_app(args.index_dir, port)
    try:
        url = f"http://127.0.0.1:{port}"
        run(url, 1, 1)  # warm-up: the first request pays one-time start costs
        if args.hostile:
            hostile_times, outcome = run_hostile(url, args.hostile, args.rounds)
        else:
            times, errors, wall = run(url, args.users, args.rounds)
    finally:
        app.terminate()
        app.wait(timeout=30)
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
    print(f"{args.users} simultaneous users × {args.rounds} questions")
    print("| users | answers | errors | p50 s | p95 s | max s | mean s | answers/s |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {args.users} | {len(times)} | {len(errors)} | {statistics.median(times):.2f} | "
        f"{percentile(times, 95):.2f} | {max(times):.2f} | {statistics.mean(times):.2f} | "
        f"{len(times) / wall:.1f} |"
    )
    if errors:
        print(f"first error: {errors[0]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
