from course.quiz import grading  # noqa: F401 - it adds its routes to the blueprint
from course.quiz.views import bp

__all__ = ["bp"]
