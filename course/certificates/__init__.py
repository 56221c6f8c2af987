from course.certificates.views import bp

__all__ = ["bp"]
