from course.authoring.views import bp

__all__ = ["bp"]
