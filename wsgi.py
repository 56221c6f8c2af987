"""WSGI entry point: `flask --app wsgi run` or `gunicorn wsgi:app`."""

import logging

from course.app import create_app
from course.warmup import served_by_flask_run, warm_up_in_background

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
# gunicorn warms each worker before it serves (gunicorn.conf.py); `flask run` warms up beside its first requests.
warm_up_thread = warm_up_in_background(app) if served_by_flask_run() else None
