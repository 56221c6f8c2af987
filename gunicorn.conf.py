"""gunicorn settings: read from the working directory, so `gunicorn wsgi:app` in the project root uses them."""


def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's Worker
    """Warm the course app's caches, catalog and templates in each new worker before it serves
    (course/warmup.py); other apps served from this folder (the benchmark's hello-world floor) are left alone."""
    if getattr(worker.wsgi, "import_name", None) == "course":
        from course.warmup import warm_up

        warm_up(worker.wsgi)
