"""Pages with holes: the per-request parts every page shows (who is logged in, the CSRF token, messages).

Every template calls `hole(name)` for these, and views with pages that are the same for every visitor render
them with `render_page`. On the plain path a hole is filled as the template renders; on the fast path
(course/fast/shells.py) the page is rendered once with markers and each request only fills them. Either way
the template is the same, so both paths give the same HTML (tests/web/test_fast_paths.py checks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, current_app, get_template_attribute, has_request_context, render_template, request, session
from flask_login import current_user
from markupsafe import Markup, escape

from course import fast
from course.fast.shells import ShellCache
from course.i18n import current_language
from course.publishing.cache import catalog
from course.security import csrf_token

Holes = Mapping[str, Callable[[], str]]


def user_holes() -> dict[str, Callable[[], str]]:
    """The holes of every page: the CSRF token, the user's name, the studio link (only for staff), the link to the
    notifications with the unread count, pending messages, and the page's own address for the language switch to
    come back to."""
    return holes_for(
        current_user._get_current_object(),
        current_language(),
        csrf=csrf_token,
        flashes=get_template_attribute("macros.html", "flashes") if "_flashes" in session else str,
        here=lambda: escape(request.full_path if request.query_string else request.path),
    )


def holes_for(
    user: object, lang: str, *, csrf: Callable[[], str], flashes: Callable[[], str], here: Callable[[], str]
) -> dict[str, Callable[[], str]]:
    """`user_holes` for a given user and language; the page lane (course/fast/lane.py), which has no request, gives
    the request's parts itself."""
    return {
        "csrf_token": csrf,
        "user_name": lambda: escape(user.display_name) if user.is_authenticated else "",
        "studio_link": _staff_links(user),
        "notifications": _notifications_link(user, lang),
        "flashes": flashes,
        "here": here,
    }


def _staff_links(user: object) -> Callable[[], str]:
    """The studio link for staff, and the user administration too for admins; for managers (who only read) the
    learner progress pages; the group reports for all three; nothing for others."""
    manager = getattr(user, "role", None) == "manager"
    if not user.is_staff and not manager:
        return str
    links = get_template_attribute("macros.html", "studio_link")
    return lambda: links(admin=user.role == "admin", manager=manager)


def _notifications_link(user: object, lang: str) -> Callable[[], str]:
    """The header link "Notifications (3 unread)" for a logged-in user; the count comes with the user (one query,
    course/fast/request_user.py). Drawn once per count and language: it was the one translated string left on a
    cached page's way, and the first translation of a request sets up its translations."""
    if not user.is_authenticated:
        return str
    return lambda: render_fragment(
        "notifications_link.html", shells="sidebars", unread=user.unread_notifications, lang=lang
    )


def _filled(holes: Holes) -> Callable[[str], Markup]:
    return lambda name: Markup(holes[name]())  # noqa: S704 - every hole returns escaped or template-made HTML


def render_page(
    template: str, holes: Holes | None = None, *, shells: str = "pages", per_path: bool = True, **context: object
) -> str:
    """A page whose context is the same for every visitor with the same context values: with the fast paths,
    rendered once per context (`shells` names the cache: the course's pages, or certificate checks, which must
    not push lesson pages out; `per_path=False` shares one shell between paths, such as every attempt of a quiz,
    when the path is only in holes); without, rendered now."""
    every = {**user_holes(), **(holes or {})}
    if fast.enabled():
        shell = current_app.extensions["course_shells"][shells]
        return shell.render(template, catalog().version, every, context, path=request.path if per_path else None)
    return render_template(template, **context, hole=_filled(every))


def render_fragment(template: str, *, shells: str, **context: object) -> Markup:
    """A piece of a page that depends on its context values alone (the course sidebar of a learner's progress):
    with the fast paths, rendered once per context; without, rendered now."""
    return render_fragments(template, [context], shells=shells)[0]


def render_fragments(template: str, contexts: list[dict[str, object]], *, shells: str) -> list[Markup]:
    """`render_fragment` for each of several contexts of one template (an attempt's questions), with the app's
    configuration, the cache and the catalog's version looked up once for all."""
    if fast.enabled():
        cache, version = current_app.extensions["course_shells"][shells], catalog().version
        return [cache.fragment(template, version, context) for context in contexts]
    return [Markup(render_template(template, **context)) for context in contexts]  # noqa: S704 - autoescaped


def _page_context() -> dict[str, object]:
    """`hole` and `authenticated` for every template rendered in a request (render_page passes its own)."""
    if not has_request_context():
        return {}
    return {"hole": _filled(user_holes()), "authenticated": current_user.is_authenticated}


def init_app(app: Flask) -> None:
    app.context_processor(_page_context)
    # Certificate checks get their own, smaller cache: many different certificates opened once each (or a
    # scanner trying ids) must not push the course's pages out.
    app.extensions["course_shells"] = {
        "pages": ShellCache(f"shells.pages@{id(app):x}", 2048),
        "verify": ShellCache(f"shells.verify@{id(app):x}", 512),
        # The course sidebar per page and state of progress: drawing its twenty-odd steps (titles, links, states)
        # cost about two thirds of a learner's lesson page, and learners in the same state see the same sidebar.
        "sidebars": ShellCache(f"shells.sidebars@{id(app):x}", 1024),
        # One question of an attempt page per state (text, option order, value, outcome): the question macros were
        # most of the page. Option orders are shuffled per attempt, so this one holds more and hits less.
        "questions": ShellCache(f"shells.questions@{id(app):x}", 4096),
    }
