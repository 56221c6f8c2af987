"""Sharing a certificate outside the app: LinkedIn's public "Add to profile" link for certifications.

The link only pre-fills LinkedIn's form; the learner confirms it there. Nothing from LinkedIn is loaded
by our pages (no button script, no image), so a visit tells LinkedIn nothing until the learner clicks.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def linkedin_add_to_profile_url(
    *, name: str, organization_name: str, issued_at: datetime, cert_url: str, cert_id: str
) -> str:
    """The pre-filled "Add licence or certification" form: name, issuer, month and year, id and the verify URL."""
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": name,
        "organizationName": organization_name,
        "issueYear": str(issued_at.year),
        "issueMonth": str(issued_at.month),
        "certUrl": cert_url,
        "certId": cert_id,
    }
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(query)}"
