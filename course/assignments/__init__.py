from course.assignments.views import bp

__all__ = ["bp"]
