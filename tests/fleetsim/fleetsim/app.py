# Assembles a running fleetsim (fleet, executor, engine, HTTP server) for the CLI and tests.
from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from typing import Any, TextIO

from fleetsim.engine import Engine, Instance
from fleetsim.executor import RealExecutor, VirtualExecutor
from fleetsim.faults import FaultInjector, FaultPlan
from fleetsim.server import FleetSim, Server, Settings
from fleetsim.tls import server_context
from fleetsim.zenlayer_zos import DEFAULT_TOKEN as DEFAULT_ZENLAYER_TOKEN

DEFAULT_ACCESS_KEY = "AKIAFLEETSIM00000001"
DEFAULT_SECRET_KEY = "fleetsim-secret-key-0000000000000000000000"


class App:
    """Owns the server thread and the work directory; `close` undoes everything it made."""

    def __init__(self, instances: list[Instance], *, mode: str = "real", workdir: str | None = None,
                 host: str = "127.0.0.1", port: int = 0, visibility_delay: float = 0.0, rate_limit: float = 0.0,
                 seed: int = 0, alibaba_delivery_window: float = 60.0, access_key: str = DEFAULT_ACCESS_KEY, secret_key: str = DEFAULT_SECRET_KEY,
                 zenlayer_token: str = DEFAULT_ZENLAYER_TOKEN, log: TextIO | None = sys.stderr, clock: Any = None, tls_dir: str | None = None,
                 faults: FaultPlan | None = None, s3_endpoint: str | None = None, logs_endpoint: str | None = None,
                 **engine_options: Any) -> None:
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="fleetsim-")
        executor = VirtualExecutor(self.workdir, seed) if mode == "virtual" else RealExecutor(self.workdir)
        self.engine = Engine(instances, executor, clock, **engine_options)
        self.settings = Settings(visibility_delay=visibility_delay, rate_limit=rate_limit, mode=mode,
                                 alibaba_delivery_window=alibaba_delivery_window, zenlayer_token=zenlayer_token,
                                 faults=FaultInjector(faults) if faults is not None else None, s3_endpoint=s3_endpoint,
                                 logs_endpoint=logs_endpoint)
        self.sim = FleetSim(self.engine, self.settings, {access_key: secret_key}, log)
        self.engine.start()
        try:
            # HTTPS when tls_dir is given: a throwaway CA (tls_dir/ca.pem) signs the server's certificate.
            tls = server_context(tls_dir, host) if tls_dir else None
            self.server = Server((host, port), self.sim, tls)
        except OSError:
            self._cleanup()
            raise
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def serve_forever(self) -> None:
        self.server.serve_forever(poll_interval=0.05)   # fast shutdown; idle cost is negligible

    def start_in_thread(self) -> "App":
        self._thread = threading.Thread(target=self.serve_forever, name="fleetsim-http", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()
        self._cleanup()

    def _cleanup(self) -> None:
        self.sim.events.shutdown()
        self.engine.shutdown()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
