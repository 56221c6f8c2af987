"""Each process renders the catalog once and rebuilds it only when a publish moves the version."""

from __future__ import annotations

import course.publishing.cache as cache_module
from course.extensions import db
from course.publishing.cache import catalog
from course.publishing.operations import import_files, published_files


def test_catalog_is_reused_until_the_version_changes(app) -> None:
    with app.app_context():
        first = catalog()
        assert catalog() is first  # same object: nothing re-parsed or re-rendered
        files = published_files()
        path = "kam-pay/kam-mandate.en.md"
        files[path] += "\nOne more line.\n"
        import_files(files)
        db.session.commit()
        second = catalog()
        assert second is not first and second.version == first.version + 1
        assert "One more line." in second.course("kam-pay").lesson("kam-mandate").text("en").html


def test_version_is_checked_at_most_once_per_interval(make_app, monkeypatch) -> None:
    app = make_app(CATALOG_CHECK_SECONDS=3600)
    with app.app_context():
        catalog()  # first start: imports and builds
        calls = []
        original = cache_module.content_version
        monkeypatch.setattr(cache_module, "content_version", lambda: calls.append(1) or original())
        for _ in range(5):
            catalog()
        assert calls == []
        app.extensions["course_catalog"].invalidate()
        catalog()
        assert calls == [1]


def test_no_auto_import_leaves_an_empty_catalog(make_app) -> None:
    app = make_app(AUTO_IMPORT=False)
    with app.app_context():
        assert catalog().courses == ()
    assert "No course has been published yet." in app.test_client().get(
        "/", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
