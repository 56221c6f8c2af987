from course.api.views import bp

__all__ = ["bp"]
