"""First-time setup for a laptop: `python -m course.setup`.

Writes instance/config.py with a random SECRET_KEY and the laptop's public address (only if it does not
exist yet; an older file without PUBLIC_URL gets that line added), migrates the database and imports the
bundled course. Safe to run again.
"""

from __future__ import annotations

import re
import secrets

from course.config import LOCAL_PUBLIC_URL, default_instance_path

LOCAL_CONFIG = """\
# Written by `python -m course.setup` for running the course on this machine.
# Keep this file private: it holds the key that signs sessions.
SECRET_KEY = {secret!r}
{public_url}
# Served over plain HTTP on 127.0.0.1, so cookies cannot require HTTPS here.
# Delete these two lines when the app runs behind HTTPS.
SESSION_COOKIE_SECURE = False
REMEMBER_COOKIE_SECURE = False
"""


LOCAL_PUBLIC_URL_SETTING = f"""
# The address certificates, their QR codes and the issuer profile point at: where `flask run` serves.
# Set the site's real address (https://...) when it runs for others.
PUBLIC_URL = {LOCAL_PUBLIC_URL!r}
"""


def write_local_config() -> bool:
    """Write instance/config.py if missing (True); add PUBLIC_URL to an older one that lacks it."""
    instance = default_instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    config_file = instance / "config.py"
    if config_file.exists():
        text = config_file.read_text(encoding="utf-8")
        if not re.search(r"^PUBLIC_URL\s*=", text, re.MULTILINE):
            config_file.write_text(text.rstrip("\n") + "\n" + LOCAL_PUBLIC_URL_SETTING, encoding="utf-8")
            print(f"Added PUBLIC_URL = {LOCAL_PUBLIC_URL!r} to {config_file}.")
        return False
    config = LOCAL_CONFIG.format(secret=secrets.token_hex(32), public_url=LOCAL_PUBLIC_URL_SETTING)
    config_file.write_text(config, encoding="utf-8")
    config_file.chmod(0o600)
    return True


def main() -> None:
    if write_local_config():
        print(f"Wrote {default_instance_path() / 'config.py'} with a new secret key.")
    from flask_migrate import upgrade

    from course.app import create_app
    from course.extensions import db, init_migrations
    from course.publishing.operations import bundled_files, import_files

    app = create_app()
    init_migrations(app)
    with app.app_context():
        upgrade()
        files, problems = bundled_files(app.config)
        report = import_files(files, problems)
        db.session.commit()
        print(f"Database ready; content: {len(report.created)} new, {len(report.unchanged)} unchanged revision(s).")
        for problem in report.problems:
            print(f"  refused: {problem}")
    print(
        "Create the first admin account with:\n  .venv/bin/flask --app wsgi users create you@example.org --role admin"
    )


if __name__ == "__main__":
    main()
