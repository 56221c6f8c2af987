"""Site-wide endpoints: health check and the language switch."""

from course.site.views import bp

__all__ = ["bp"]
