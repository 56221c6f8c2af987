"""Work each server process would otherwise do inside some learner's first request, done when it starts.

gunicorn calls `warm_up` from `post_worker_init` (gunicorn.conf.py) before the worker takes requests: the
sandbox's per-scenario benchmark search (about 1 s per scenario) and the certificate fonts (about 0.5 s).
`create_app` stays free of such work, so tests and CLI commands do not pay for it.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


def warm_up() -> float:
    """Fill the process-wide caches; returns the seconds it took."""
    from course.core.certificates.pdf import preload
    from course.core.sandbox.benchmark import warm_up as search_every_scenario

    started = time.perf_counter()
    preload()
    search_every_scenario()
    seconds = time.perf_counter() - started
    log.info("warmed up in %.1f s (sandbox benchmarks, certificate fonts)", seconds)
    return seconds
