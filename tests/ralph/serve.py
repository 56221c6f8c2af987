"""Ralph's LRS app (`ralph.api:app`, what `ralph runserver -b fs` serves) with its file backend appending.

Ralph 5.1.0's file LRS backend writes each request's statements with the "create" operation, which refuses an
existing file: every statement after the first answers 500 ("fs_lrs.jsonl already exists and overwrite is not
allowed"). Its data backend supports "append"; this makes that the default before the app is built, and changes
nothing else. Run by .venv-ralph's uvicorn: `uvicorn serve:app --app-dir tests/ralph`.
"""

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

from ralph.api import app  # noqa: E402 - built after the backend's default changed

__all__ = ["app"]
