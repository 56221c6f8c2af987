"""Bulk export: a ZIP of the PDFs kept since issue plus a CSV listing them, made by a background job for the trainers'
page and at once by `flask certificates export`. A certificate issued before PDFs were kept has its PDF drawn (about
25 ms) and kept here, so a large list of old ones takes minutes: never in a request."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence

from flask_babel import gettext as _

from course.certificates import documents, operations
from course.certificates.operations import Row
from course.core.certificates.record import format_instant
from course.core.errors import N_
from course.extensions import db
from course.jobs.operations import captured_scope
from course.jobs.registry import JobKind, Progress, Result, register
from course.publishing.cache import catalog

CSV_COLUMNS = ("certificate_id", "name", "email", "course", "issued_at", "status", "revoked_at", "reason", "verify_url")


def build_zip(rows: Sequence[Row], progress: Progress | None = None) -> bytes:
    """One PDF per readable certificate (revoked ones too, for the record) and `certificates.csv`.

    Needs an app context: URLs are built on PUBLIC_URL, each PDF is in its learner's language. An empty list gives a
    ZIP with a header-only CSV. PDFs drawn for certificates issued before PDFs were kept are kept: the caller commits.
    """
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(CSV_COLUMNS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, row in enumerate(rows, start=1):
            if progress is not None:
                progress(
                    number - 1, len(rows), _("Certificate %(number)d of %(count)d", number=number, count=len(rows))
                )
            record, certificate = row.record, row.certificate
            if record is None:
                continue  # a row that no longer reads as a signed record is not a certificate to hand out
            if record.recipient_name:  # an erased holder's certificate has no name to print (docs/operations.md)
                document = operations.certificate_pdf(certificate, record)
                archive.writestr(f"certificate-{record.public_id}.pdf", document.data)
            writer.writerow(
                (
                    record.public_id,
                    record.recipient_name,
                    row.email or "",
                    record.course_title.get(record.language, record.course_id),
                    format_instant(record.issued_at),
                    "revoked" if certificate.revoked_at else "valid",
                    format_instant(certificate.revoked_at) if certificate.revoked_at else "",
                    certificate.revoked_reason or "",
                    documents.verify_url(record.public_id),
                )
            )
        archive.writestr("certificates.csv", table.getvalue())
    return buffer.getvalue()


def export_job(params: dict, progress: Progress) -> Result:
    """The trainers' ZIP as a background job: the filters and the learners the trainer may see were captured when it
    was asked for (`learners`: their ids, or None for everyone), so it holds exactly what the list showed them."""
    course = catalog().course(params["course_id"])
    status = params["status"]
    rows = operations.course_certificates(
        course.id, status, params.get("query") or "", limit=None, learners=captured_scope(params.get("learners"))
    )
    data = build_zip(rows, progress)
    db.session.commit()  # the PDFs drawn for certificates issued before PDFs were kept
    progress(len(rows), len(rows), _("Packed %(count)d certificates.", count=len(rows)))
    return Result(data, f"certificates-{course.id}-{status}.zip", "application/zip")


EXPORT = register(JobKind("certificates.zip", N_("Certificates as a ZIP"), export_job))
