"""Bulk export: a ZIP of PDFs plus a CSV listing them, for the trainer page and `flask certificates export`."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable

from course.certificates import documents
from course.certificates.operations import Row
from course.core.certificates.record import format_instant

CSV_COLUMNS = ("certificate_id", "name", "email", "course", "issued_at", "status", "revoked_at", "reason", "verify_url")


def build_zip(rows: Iterable[Row]) -> bytes:
    """One PDF per readable certificate (revoked ones too, for the record) and `certificates.csv`.

    Needs a request context (URLs and translations). An empty list gives a ZIP with a header-only CSV.
    """
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(CSV_COLUMNS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            record, certificate = row.record, row.certificate
            if record is None:
                continue  # a row that no longer reads as a signed record is not a certificate to hand out
            if record.recipient_name:  # an erased holder's certificate has no name to print (docs/operations.md)
                archive.writestr(f"certificate-{record.public_id}.pdf", documents.pdf(record))
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
