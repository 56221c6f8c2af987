"""Sending an xAPI statement to the LRS: the outbox's "xapi" channel.

One PUT per statement to <XAPI_LRS_URL>/statements?statementId=<id> (xAPI 1.0.3, "PUT Statements"): the id is
chosen by us, so a statement sent again after a lost answer is stored once. What the LRS answers decides what
happens to the message (course/outbox/operations.py keeps the error and the status for admins at /admin/outbox):
2xx is sent; 409 means the LRS already has a statement with this id, which only we make from this message's key,
so it is sent too; 400 (or 413, or 422 from LRSs built on FastAPI) means the LRS refuses the statement itself, and
sending it again cannot help; 401, 403, 5xx and the rest are tried again later with their status kept; an LRS
that refuses the connection or does not answer within XAPI_TIMEOUT_SECONDS is "unreachable", and the run leaves
its other statements for the next one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import lazy_gettext as _l

from course.core.xapi import XAPI_VERSION
from course.models import OutboxMessage
from course.outbox.operations import Channel, DeliveryError, register

if TYPE_CHECKING:
    import requests

REFUSED = (400, 413, 422)
MAX_BODY = 500  # of the LRS's answer, in the error kept for admins


def send(message: OutboxMessage) -> int:
    """PUT the message's statement; the LRS's status code, or DeliveryError."""
    import requests  # HTTP for the integrations: loaded by the process that sends, not by every worker

    config = current_app.config
    base = config.get("XAPI_LRS_URL")
    if not base:
        raise DeliveryError("XAPI_LRS_URL is not set: the statement waits until an LRS is configured.")
    statement = message.payload
    auth = (config["XAPI_LRS_USERNAME"], config["XAPI_LRS_PASSWORD"]) if config.get("XAPI_LRS_USERNAME") else None
    timeout = float(config["XAPI_TIMEOUT_SECONDS"])
    url = f"{base}/statements"
    try:
        response = requests.put(
            url,
            params={"statementId": statement["id"]},
            json=statement,
            auth=auth,
            headers={"X-Experience-API-Version": XAPI_VERSION},
            timeout=(timeout, timeout),
            allow_redirects=False,
        )
    except requests.Timeout:
        raise DeliveryError(f"The LRS at {url} did not answer within {timeout:g} s.", unreachable=True) from None
    except requests.ConnectionError as error:
        raise DeliveryError(f"The LRS at {url} cannot be reached: {_reason(error)}", unreachable=True) from None
    except requests.RequestException as error:
        raise DeliveryError(f"The statement could not be sent to {url}: {error}") from None
    status = response.status_code
    if 200 <= status < 300:
        return status
    if status == 409:
        current_app.logger.info("The LRS already has xAPI statement %s (409); taken as sent.", statement["id"])
        return status
    if 300 <= status < 400:
        location = response.headers.get("Location", "?")
        raise DeliveryError(
            f"The LRS answered {status} and redirects to {location}; set XAPI_LRS_URL to the address it means.",
            status_code=status,
        )
    answer = " ".join(response.text.split())[:MAX_BODY] or "(no text)"
    if status in REFUSED:
        raise DeliveryError(f"The LRS refused the statement ({status}): {answer}", status_code=status, permanent=True)
    if status in (401, 403):
        raise DeliveryError(
            f"The LRS refused our credentials ({status}); check XAPI_LRS_USERNAME and XAPI_LRS_PASSWORD and the"
            f" account's rights to write statements: {answer}",
            status_code=status,
        )
    raise DeliveryError(f"The LRS answered {status}: {answer}", status_code=status)


def _reason(error: requests.ConnectionError) -> str:
    """The innermost cause (e.g. "Connection refused"), not urllib3's nested repr."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    return str(cause) or cause.__class__.__name__


register(Channel("xapi", _l("xAPI statements (LRS)"), send))
