from course.api.views import bp

# The sandbox routes register themselves on the same blueprint (one /api/v1, one login check, one error shape).
from course.api import sandbox  # noqa: E402, F401  isort: skip

__all__ = ["bp"]
