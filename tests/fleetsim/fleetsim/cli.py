# Command line: `fleetsim serve ...` starts a server and runs until SIGTERM/SIGINT.
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from typing import Any

from fleetsim import __version__
from fleetsim.app import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, DEFAULT_ZENLAYER_TOKEN, App
from fleetsim.faults import FaultPlan, FaultSpecError
from fleetsim.fleet import FleetError, load_fleet


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetsim", description="Local fleet simulator for run-command APIs.")
    parser.add_argument("--version", action="version", version=f"fleetsim {__version__}")
    sub = parser.add_subparsers(dest="action", required=True)
    serve_parser = sub.add_parser("serve", help="run the HTTP server")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve_parser.add_argument("--instances", type=int, default=0, metavar="K", help="K healthy Linux instances")
    serve_parser.add_argument("--fleet", metavar="FILE", help="fleet file (.json, .yml, .yaml)")
    serve_parser.add_argument("--mode", choices=("real", "virtual"), default="real")
    serve_parser.add_argument("--workdir", metavar="DIR", help="instance directories go here (default: a temp dir, removed on exit)")
    serve_parser.add_argument("--visibility-delay", type=float, default=None, metavar="SECONDS",
                              help="new commands stay invisible to every read this long (default: the fleet file's visibility_delay, else 0)")
    serve_parser.add_argument("--rate-limit", type=float, default=0.0, metavar="RPS", help="0 = unlimited")
    serve_parser.add_argument("--alibaba-delivery-window", type=float, default=60.0, metavar="SECONDS",
                              help="offline instances' Alibaba invocations turn Aborted after this (default 60)")
    serve_parser.add_argument("--s3-endpoint", metavar="URL",
                              help="S3 server (a moto_server) that receives SSM output for commands with OutputS3BucketName")
    serve_parser.add_argument("--logs-endpoint", metavar="URL",
                              help="CloudWatch Logs server (a moto_server) that receives SSM output for commands with CloudWatchOutputConfig")
    serve_parser.add_argument("--seed", type=int, default=0)
    serve_parser.add_argument("--url-file", metavar="PATH", help="write the base URL here once listening")
    serve_parser.add_argument("--access-key", default=os.environ.get("FLEETSIM_ACCESS_KEY", DEFAULT_ACCESS_KEY))
    serve_parser.add_argument("--secret-key", default=os.environ.get("FLEETSIM_SECRET_KEY", DEFAULT_SECRET_KEY))
    serve_parser.add_argument("--zenlayer-token", default=os.environ.get("FLEETSIM_ZENLAYER_TOKEN", DEFAULT_ZENLAYER_TOKEN),
                              help="token accepted as `Authorization: Bearer <token>` by the Zenlayer front-end")
    serve_parser.add_argument("--faults", metavar="SPEC",
                              help="inject faults, e.g. 'throttle=0.1,5xx=0.05,reset=0.02,late=2,skew=240,seed=3' or 'mixed' "
                                   "(see README: Faults)")
    serve_parser.add_argument("--log-file", metavar="PATH", help="request log (default: stderr)")
    serve_parser.add_argument("--tls-dir", metavar="DIR",
                              help="serve HTTPS with a throwaway certificate; its CA is written to DIR/ca.pem")
    return parser


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fleetsim-url-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _fail(message: str) -> int:
    sys.stderr.write(f"fleetsim: error: {message}\n")
    return 2


def _stop(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    if not args.zenlayer_token:
        return _fail("--zenlayer-token must not be empty")
    if (args.visibility_delay or 0) < 0 or args.rate_limit < 0 or args.alibaba_delivery_window < 0:
        return _fail("--visibility-delay, --rate-limit and --alibaba-delivery-window must not be negative")
    try:
        faults = FaultPlan.parse(args.faults) if args.faults is not None else None
    except FaultSpecError as exc:
        return _fail(str(exc))
    try:
        instances, file_settings = load_fleet(args.instances, args.fleet, args.seed)
    except FleetError as exc:
        return _fail(str(exc))
    # The command line wins over the fleet file.
    visibility_delay = args.visibility_delay if args.visibility_delay is not None else file_settings.get("visibility_delay", 0.0)
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
    log = open(args.log_file, "a", encoding="utf-8") if args.log_file else sys.stderr  # pylint: disable=consider-using-with
    try:
        app = App(instances, mode=args.mode, workdir=args.workdir, host=args.host, port=args.port,
                  visibility_delay=visibility_delay, rate_limit=args.rate_limit, seed=args.seed,
                  alibaba_delivery_window=args.alibaba_delivery_window,
                  access_key=args.access_key, secret_key=args.secret_key, zenlayer_token=args.zenlayer_token, log=log,
                  faults=faults, tls_dir=args.tls_dir, s3_endpoint=args.s3_endpoint,
                  logs_endpoint=args.logs_endpoint)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port} ({exc.strerror})")
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        sys.stdout.write(f"fleetsim listening on {app.url}\n")
        sys.stdout.flush()
        if args.url_file:
            _write_atomically(args.url_file, app.url)
        app.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        app.close()
        if log is not sys.stderr:
            log.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.action == "serve":
        return serve(args)
    return 2
