from course.analytics.views import bp

__all__ = ["bp"]
