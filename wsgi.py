"""WSGI entry point: `flask --app wsgi run` or `gunicorn wsgi:app`."""

import logging

from course.app import create_app

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
