from course.sandbox.views import bp

__all__ = ["bp"]
