"""The learner's pages: course overview with progress, lessons, completing a lesson."""

from course.learn import checks  # noqa: F401 - registers the knowledge-check route on bp
from course.learn.views import bp

__all__ = ["bp"]
