# fleetsim: a local fleet simulator that speaks cloud run-command APIs over HTTP.
"""fleetsim package: engine, executors, vendor front-ends and the HTTP server."""
from __future__ import annotations

__version__ = "0.1.0"
