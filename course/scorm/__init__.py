from course.scorm.views import bp

__all__ = ["bp"]
