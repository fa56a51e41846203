"""Write the nginx configuration for Charta-Lotse replicas (standard library only).

    python deploy/nginx_conf.py --replica 10.0.0.11:7860 --replica 10.0.0.12:7860 \\
        --listen 80 > /etc/nginx/sites-available/charta-lotse
    python deploy/nginx_conf.py --replica 127.0.0.1:7861 --replica 127.0.0.1:7862 \\
        --listen 127.0.0.1:8080 --standalone /tmp/lotse-nginx > /tmp/lotse-nginx/nginx.conf
    nginx -p /tmp/lotse-nginx -c /tmp/lotse-nginx/nginx.conf

Without ``--standalone`` the output is a site file for Debian's nginx (http context,
included from /etc/nginx/nginx.conf). With it, a whole configuration that an ordinary
user can run: pid file, logs and temporary folders below the given prefix, no user
switch, in the foreground. deploy/README.md describes the setup.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx-lotse.conf.template")
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")

STANDALONE = """\
# Standalone: runs as the user who starts it, everything below {prefix}.
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
{site}}}
"""


def render(
    replicas: list[str],
    listen: str,
    fail_timeout_s: int = 10,
    max_body: str = "200m",
    standalone: Path | None = None,
) -> str:
    """The configuration text for these replica addresses (``host:port``)."""
    if not replicas:
        raise ValueError("at least one --replica host:port is needed")
    for address in replicas:
        if not _ADDRESS.match(address):
            raise ValueError(f"not a host:port address: {address!r}")
    health = f"max_fails=1 fail_timeout={fail_timeout_s}s"
    servers = "\n".join(f"    server {address} {health};" for address in replicas)
    # One group per replica: that replica, and the others as backups for when it is down.
    upstreams = "".join(
        f"upstream lotse_r{i} {{\n"
        + "".join(f"    server {other} {health}{'' if j == i else ' backup'};\n" for j, other in enumerate(replicas))
        + "    keepalive 16;\n}\n"
        for i, address in enumerate(replicas)
    )
    pools = "\n".join(f"    r{i} lotse_r{i};" for i in range(len(replicas)))
    # $upstream_addr lists every replica tried ("a, b"): the last one served.
    served = "\n".join(f'    "~(^|, ){re.escape(address)}$" r{i};' for i, address in enumerate(replicas))
    site = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@SERVERS@", servers)
        .replace("@UPSTREAMS@", upstreams)
        .replace("@POOLS@", pools)
        .replace("@SERVED@", served)
        .replace("@LISTEN@", listen)
        .replace("@FAIL_TIMEOUT@", f"{fail_timeout_s} s")
        .replace("@MAX_BODY@", max_body)
    )
    if standalone is None:
        return site
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (standalone / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    indented = "".join("    " + line if line.strip() else line for line in site.splitlines(keepends=True))
    return STANDALONE.format(prefix=standalone, site=indented)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python deploy/nginx_conf.py", description=__doc__.split("\n")[0])
    parser.add_argument("--replica", action="append", default=[], help="a replica's host:port (repeat for each)")
    parser.add_argument("--listen", default="80", help="nginx's listen address (default 80)")
    parser.add_argument("--fail-timeout", type=int, default=10, help="seconds a failed replica rests (default 10)")
    parser.add_argument("--max-body", default="200m", help="largest upload (default 200m, the ingest limit)")
    parser.add_argument("--standalone", type=Path, help="write a whole nginx.conf with everything below this folder")
    args = parser.parse_args(argv)
    try:
        text = render(args.replica, args.listen, args.fail_timeout, args.max_body, args.standalone)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
