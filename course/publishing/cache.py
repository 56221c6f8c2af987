"""Each process keeps one immutable, rendered catalog and rebuilds it only when the version moves."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from sqlalchemy.exc import IntegrityError

from course.core.catalog import Catalog, build_catalog
from course.extensions import db
from course.publishing.operations import bundled_files, content_version, import_files, published_files

log = logging.getLogger(__name__)


class CatalogCache:
    def __init__(self, app: Flask) -> None:
        self.check_seconds = float(app.config["CATALOG_CHECK_SECONDS"])
        self.auto_import = bool(app.config["AUTO_IMPORT"])  # tried once per process, then left alone
        self.config = app.config
        self._catalog: Catalog | None = None
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> Catalog:
        """The current catalog; at most one version query per `check_seconds`, a rebuild only on change."""
        now = time.monotonic()
        if self._catalog is not None and now - self._checked_at < self.check_seconds:
            return self._catalog
        version = content_version()
        if version == 0 and self.auto_import:
            self.auto_import = False
            version = self._import_bundled_content()
        with self._lock:
            if self._catalog is None or self._catalog.version != version:
                # Asked again under the lock: a thread that read the version before another thread rebuilt
                # must not build the newer files under its older number (page shells are keyed by it).
                version = content_version()
                if self._catalog is None or self._catalog.version != version:
                    self._catalog = self._build(version)
            self._checked_at = now
            return self._catalog

    def invalidate(self) -> None:
        self._checked_at = float("-inf")

    def _build(self, version: int) -> Catalog:
        build = build_catalog(published_files(), version=version)
        for problem in build.problems:
            log.warning("published content problem: %s", problem)
        return build.catalog

    def _import_bundled_content(self) -> int:
        """First start on an empty database: publish the course shipped in content/."""
        files, read_problems = bundled_files(self.config)
        try:
            report = import_files(files, read_problems)
            db.session.commit()
        except IntegrityError:  # another worker imported at the same moment
            db.session.rollback()
        else:
            log.info("imported bundled content: %d files, %d refused", len(report.created), len(report.refused))
        return content_version()


def catalog() -> Catalog:
    return current_app.extensions["course_catalog"].get()
