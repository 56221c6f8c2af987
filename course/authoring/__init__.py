from course.authoring import figure_views, form_views, gift_views, media, tryout  # noqa: F401 - they add their routes to the blueprint
from course.authoring.views import bp

__all__ = ["bp"]
