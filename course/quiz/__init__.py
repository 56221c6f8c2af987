from course.quiz.views import bp

__all__ = ["bp"]
