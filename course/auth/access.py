"""Role checks for views: visitors are sent to log in, signed-in users without the role get 403.

`staff_required` guards what changes things (trainers and admins); `readers_required` what only shows learners'
progress, which managers read too (each view then limits it to the learners in view, course/groups/operations.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from course.extensions import login_manager
from course.groups.operations import READER_ROLES
from course.models import STAFF_ROLES


def roles_required(*roles: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: object, **kwargs: object):  # noqa: ANN202 - whatever the view returns
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required(*STAFF_ROLES)
readers_required = roles_required(*READER_ROLES)


def is_reader(user: object) -> bool:
    """Whether the account reads the learners' progress pages (a manager, a trainer or an admin)."""
    return getattr(user, "role", None) in READER_ROLES
