"""`iamd serve`: open the store, set it up on first start, serve HTTP.

The store is SQLite in the data directory unless `--database` names a
PostgreSQL URL. On first start the admin's credentials are written to
`DATA_DIR/admin-credentials.csv` and only the path is printed. `--dev` turns
on the development mode (unknown access keys act as the account's root user,
their signatures unchecked; `POST /_iamd/reset`), and says so loudly.
`--public-url` (IAMD_PUBLIC_URL) is the address clients reach the server at,
behind a proxy or load balancer; outbound web identity federation issuers are
built on it. It defaults to `http://HOST:PORT`.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.config
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from iamd.service.runtime import DEFAULT_DEV_ACCOUNT_ID

if TYPE_CHECKING:
    from iamd.cli.tls import TlsFiles
    from iamd.service.admin_credentials import AdminCredentials
    from iamd.service.runtime import Runtime

CONFIG_ENV = "IAMD_SERVE_CONFIG"
# Requests per second (twice as many at once) before Throttling: guards against
# floods and runaway clients, far above what one client in a loop sends.
DEFAULT_RATE_PER_ADDRESS = 2000.0
DEFAULT_RATE_PER_KEY = 1000.0


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the IAM and STS endpoint")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("IAMD_PORT", "8000")))
    serve.add_argument("--data-dir", default=os.environ.get("IAMD_DATA_DIR", "iamd-data"),
                       help="where the SQLite store, master key and admin credentials live")
    serve.add_argument("--database", default=os.environ.get("IAMD_DATABASE_URL"),
                       help="postgresql://... to share one store between iamd nodes")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--account-id", default=None)
    serve.add_argument("--dev", action="store_true",
                       help="development mode: accept unknown access keys as root (never in production)")
    serve.add_argument("--public-url", default=os.environ.get("IAMD_PUBLIC_URL"),
                       help="the URL clients reach this server at (default http://HOST:PORT); "
                            "outbound web identity federation issuers live under it")
    serve.add_argument("--tls-cert", default=os.environ.get("IAMD_TLS_CERT"), metavar="FILE",
                       help="serve HTTPS with this certificate chain (PEM); reloaded on SIGHUP")
    serve.add_argument("--tls-key", default=os.environ.get("IAMD_TLS_KEY"), metavar="FILE",
                       help="the private key (PEM) of --tls-cert")
    # FORWARDED_ALLOW_IPS is uvicorn's name for it, which earlier guides used.
    serve.add_argument("--forwarded-allow-ips",
                       default=os.environ.get("IAMD_FORWARDED_ALLOW_IPS",
                                              os.environ.get("FORWARDED_ALLOW_IPS")),
                       metavar="IPS",
                       help="comma-separated proxy addresses or networks whose X-Forwarded-For "
                            "and X-Forwarded-Proto are believed (default: none)")
    serve.add_argument("--metrics-port", type=int, default=None, metavar="PORT",
                       help="also serve GET /metrics (Prometheus text) unsigned on 127.0.0.1:PORT; "
                            "GET /_iamd/metrics needs a caller allowed iamd:GetMetrics")
    serve.add_argument("--rate-limit-per-address", type=float, default=None, metavar="RATE",
                       help="requests per second from one source address before Throttling "
                            f"(0: off; default {DEFAULT_RATE_PER_ADDRESS:g}, off with --dev)")
    serve.add_argument("--rate-limit-per-key", type=float, default=None, metavar="RATE",
                       help="requests per second signed by one access key before Throttling "
                            f"(0: off; default {DEFAULT_RATE_PER_KEY:g}, off with --dev)")
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--log-format", choices=("text", "json"),
                       default=os.environ.get("IAMD_LOG_FORMAT", "text"),
                       help="json: one JSON object a line, with the request id (default text)")
    serve.add_argument("--audit-retention-days", type=_positive_days, default=90,
                       help="how long audit events are kept in the store (default 90)")
    serve.add_argument("--audit-log", default=os.environ.get("IAMD_AUDIT_LOG"),
                       metavar="PATH|-",
                       help="also stream every audit event as a JSON line to PATH "
                            "(appended) or to stdout (-)")
    serve.add_argument("--token-key-rotation-days", type=_rotation_days, default=30.0,
                       help="a new STS session token key this often (default 30); tokens "
                            "sealed by the previous key stay good until they expire")
    serve.add_argument("--outbound-key-rotation-days", type=_rotation_days, default=30.0,
                       help="new outbound web identity signing keys this often (default 30); "
                            "the old ones stay in the key set until their tokens expire")
    serve.set_defaults(run=run_serve)


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError("the retention must be at least 1 day")
    return days


def _rotation_days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}") from None
    if not days > 0 or days == float("inf"):
        raise argparse.ArgumentTypeError("the rotation period must be a positive number of days")
    return days


def config_from(data_dir_text: str, database: str | None, dev: bool,
                account_id: str | None, public_url: str | None = None,
                audit_retention_days: int = 90, audit_log: str | None = None,
                token_key_rotation_days: float | None = None,
                outbound_key_rotation_days: float | None = None) -> dict[str, Any]:
    data_dir = Path(data_dir_text).resolve()
    return {"data_dir": str(data_dir), "database": database or f"sqlite:///{data_dir / 'iamd.sqlite3'}",
            "dev": dev, "account_id": account_id or os.environ.get("IAMD_ACCOUNT_ID"),
            "public_url": public_url, "audit_retention_days": audit_retention_days,
            "audit_log": audit_log, "token_key_rotation_days": token_key_rotation_days,
            "outbound_key_rotation_days": outbound_key_rotation_days}


def public_url_of(given: str | None, host: str, port: int, scheme: str = "http") -> str:
    """The server's public base URL: as given (checked), else SCHEME://HOST:PORT."""
    if not given:
        shown = f"[{host}]" if ":" in host else host
        return f"{scheme}://{shown}:{port}"
    parts = urlsplit(given)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SystemExit(f"iamd: --public-url must be an http(s) URL without query or fragment, "
                         f"not {given!r}")
    return given.rstrip("/")


def build_runtime(config: dict[str, Any]) -> tuple[Runtime, AdminCredentials | None]:
    """The runtime of one process, whole: store, master key, settings, token
    keys and usage recorder; and the admin's credentials when this start
    created the account (None on a store that has one)."""
    from iamd.service.bootstrap import initialize
    from iamd.service.read_latency import reads_on_loop
    from iamd.service.runtime import Runtime
    from iamd.service.sts.token_key_schedule import TokenKeySchedule
    from iamd.service.sts.token_keys import TokenKeys
    from iamd.service.usage import UsageRecorder
    from iamd.store.repository import open_store
    from iamd.store.secrets import SecretBox, SecretDecryptionError

    data_dir = Path(config["data_dir"])
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(config["database"])
    secrets = SecretBox.load(data_dir)
    token_keys = TokenKeys(store, secrets)
    try:
        token_keys.ensure()
    except SecretDecryptionError:
        store.close()
        raise SystemExit(
            "iamd: this store's secrets were sealed under another master key; every iamd node "
            "sharing a database needs the same one (set IAMD_MASTER_KEY, or copy master.key "
            "from the first node's data directory)") from None
    account_id = config.get("account_id") or (DEFAULT_DEV_ACCOUNT_ID if config["dev"] else "")
    runtime = Runtime(store=store, secrets=secrets, token_keys=token_keys, data_dir=data_dir,
                      dev_mode=config["dev"], default_account_id=account_id,
                      usage=UsageRecorder(store), audit=_audit_trail(store, config),
                      **({"public_url": config["public_url"]} if config.get("public_url") else {}))
    # What only the store knows once it has an account: the admin this start
    # created (a dev-mode reset restores its key), and the default account.
    runtime.rate_limits = _rate_limits(config)
    runtime.initial_admin = initialize(runtime)
    runtime.reads_on_loop = reads_on_loop(store)
    if config.get("token_key_rotation_days"):  # a server's runtime, not a command's
        runtime.token_key_schedule = TokenKeySchedule(
            token_keys, timedelta(days=float(config["token_key_rotation_days"])))
    if config.get("outbound_key_rotation_days"):
        runtime.outbound_key_rotation = timedelta(days=float(config["outbound_key_rotation_days"]))
    with store.transaction(read_only=True) as tx:
        first = tx.accounts.first()
    if first is not None:
        runtime.default_account_id = account_id or first.account_id
    return runtime, runtime.initial_admin


def _rate_limits(config: dict[str, Any]) -> Any:
    from iamd.service.rate_limits import RateLimits

    per_address, per_key = config.get("rate_limits") or (0.0, 0.0)
    return RateLimits.of(per_address, per_key)


def rate_limits_of(args: argparse.Namespace) -> tuple[float, float]:
    """Requests per second per source address and per access key (0: off);
    both off by default in --dev, where tests and scripts hammer a local server."""
    def chosen(given: float | None, default: float) -> float:
        return max(given, 0.0) if given is not None else (0.0 if args.dev else default)
    return (chosen(args.rate_limit_per_address, DEFAULT_RATE_PER_ADDRESS),
            chosen(args.rate_limit_per_key, DEFAULT_RATE_PER_KEY))


# Turns the audit trail off, for bench/http_throughput.py to measure what it
# costs; never set it on a server anyone relies on.
AUDIT_OFF_FOR_MEASUREMENT = "IAMD_AUDIT_OFF_FOR_MEASUREMENT"


def _audit_trail(store: Any, config: dict[str, Any]) -> Any:
    from iamd.service.audit.trail import AuditTrail, open_stream

    if os.environ.get(AUDIT_OFF_FOR_MEASUREMENT) == "1":
        print("iamd: the audit trail is OFF (IAMD_AUDIT_OFF_FOR_MEASUREMENT=1)", file=sys.stderr)
        return None

    target = config.get("audit_log")
    try:
        stream = open_stream(target)
    except OSError as error:
        store.close()
        raise SystemExit(f"iamd: cannot open the audit log {target}: {error.strerror}") from None
    return AuditTrail(store, retention_days=int(config.get("audit_retention_days") or 90),
                      stream=stream)


def create_app_from_env() -> Any:
    """The ASGI app for one uvicorn worker (`--workers N`)."""
    from iamd.console.app import create_server_app

    runtime, _ = build_runtime(json.loads(os.environ[CONFIG_ENV]))
    return create_server_app(runtime)


def run_serve(args: argparse.Namespace) -> int:
    from iamd.cli.metrics_port import metrics_directory

    if args.workers > 1:
        # Every worker writes its metrics to files there; a scrape adds them up.
        with metrics_directory():
            return _run_serve(args)
    return _run_serve(args)


def _run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from iamd.cli.json_logs import LoggedLines, json_logging_config
    from iamd.cli.listening_socket import bind_listening_socket
    from iamd.cli.metrics_port import serve_metrics_on_loopback
    from iamd.cli.startup_failure import STARTUP_FAILURES, describe_startup_failure
    from iamd.cli.tls import TlsFiles, server_context
    from iamd.cli.trusted_proxies import trusted_proxies
    from iamd.console.app import create_server_app

    log_config = json_logging_config(args.log_level) if args.log_format == "json" else None
    if log_config is not None:
        logging.config.dictConfig(log_config)
        out: Any = LoggedLines(logging.getLogger("iamd.serve"))
        failure: Any = LoggedLines(logging.getLogger("iamd.serve"), logging.ERROR)
    else:
        logging.basicConfig(level=args.log_level.upper(),
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        out = failure = sys.stderr
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("iamd: --tls-cert and --tls-key go together")
    tls = TlsFiles(args.tls_cert, args.tls_key) if args.tls_cert else None
    scheme = "https" if tls else "http"
    config = config_from(args.data_dir, args.database, bool(args.dev), args.account_id,
                         public_url_of(args.public_url, args.host, args.port, scheme),
                         args.audit_retention_days, args.audit_log,
                         args.token_key_rotation_days, args.outbound_key_rotation_days)
    config["rate_limits"] = rate_limits_of(args)
    sock = None
    try:
        proxies = trusted_proxies(args.forwarded_allow_ips)
        if tls is not None:
            server_context(tls.cert_file, tls.key_file)  # fails here, in one line, if it must
        sock = bind_listening_socket(args.host, args.port)
        if args.metrics_port:
            serve_metrics_on_loopback(args.metrics_port)
        runtime, credentials = build_runtime(config)
    except STARTUP_FAILURES as error:
        if sock is not None:
            sock.close()
        print(f"iamd: cannot start: {describe_startup_failure(error)}", file=failure, flush=True)
        return 1
    except SystemExit as refused:
        # build_runtime's own one-line refusals (a store sealed under another
        # master key...), written where the logs go (JSON lines with --log-format json).
        if sock is not None:
            sock.close()
        if not isinstance(refused.code, str):
            raise
        print(refused.code, file=failure, flush=True)
        return 1
    if config["dev"]:
        print("!" * 72, file=out)
        print("iamd is in DEVELOPMENT MODE: unknown access keys act as the root user of account "
              f"{runtime.default_account_id}\nand their signatures are NOT checked. "
              "Never use --dev for anything real.", file=out)
        print("!" * 72, file=out)
    endpoint = public_url_of(None, args.host, args.port, scheme)  # IPv6 hosts in brackets
    if credentials is not None:
        path = credentials.path
        print(f"iamd: new account {credentials.account_id}; the admin's access key is in {path}",
              file=out)
        print("  (written once, mode 0600). To use it with the AWS CLI:\n"
              f"  export AWS_ACCESS_KEY_ID=$(sed -n 2p {path} | cut -d, -f3)\n"
              f"  export AWS_SECRET_ACCESS_KEY=$(sed -n 2p {path} | cut -d, -f4)\n"
              f"  aws --endpoint-url {endpoint} --region us-east-1 iam list-users", file=out)
        print(f"  Console: sign in at {credentials.signin_link} as IAM user "
              f"{credentials.user_name}\n  with the password in the same file (you will "
              "choose a new one at first sign-in).", file=out)
    else:
        print(f"iamd: store {config['database'].split('@')[-1]}, account {runtime.default_account_id}; "
              f"admin credentials: {Path(config['data_dir']) / 'admin-credentials.csv'}", file=out)
    print(f"iamd: serving IAM and STS on {endpoint}", file=out, flush=True)
    if args.metrics_port:
        print(f"iamd: metrics on http://127.0.0.1:{args.metrics_port}/metrics", file=out,
              flush=True)
    if runtime.public_url != endpoint:
        print(f"iamd: public URL {runtime.public_url}", file=out, flush=True)
    if args.workers > 1:
        runtime.store.close()
        os.environ[CONFIG_ENV] = json.dumps(config)
        _run_workers(args, sock, _uvicorn_options(args, tls, proxies, log_config))
        return 0
    server_config = uvicorn.Config(create_server_app(runtime),
                                   **_uvicorn_options(args, tls, proxies, log_config))
    uvicorn.Server(server_config).run(sockets=[sock])
    runtime.store.close()
    return 0


def _uvicorn_options(args: argparse.Namespace, tls: TlsFiles | None, proxies: list[str],
                     log_config: dict[str, Any] | None) -> dict[str, Any]:
    """What uvicorn is told, the same for one process and for workers."""
    options: dict[str, Any] = {
        "host": args.host, "port": args.port, "log_level": args.log_level,
        "timeout_graceful_shutdown": 10, "ssl_context_factory": tls,
        # Proxy headers only from the listed proxies, and none by default.
        "proxy_headers": bool(proxies), "forwarded_allow_ips": proxies}
    if log_config is not None:
        options["log_config"] = log_config
    return options


def _run_workers(args: argparse.Namespace, sock: socket.socket, options: dict[str, Any]) -> None:
    """Several uvicorn worker processes on one listening socket."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("iamd.cli.serve_command:create_app_from_env", factory=True,
                            workers=args.workers, **options)
    Multiprocess(config, sockets=[sock]).run()
