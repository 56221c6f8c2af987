"""The learner's pages: course overview with progress, lessons, completing a lesson."""

from course.learn.views import bp

__all__ = ["bp"]
