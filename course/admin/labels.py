"""What the admin pages call roles, account states, filters and audit actions, in the reader's language.

The code keeps plain ids (`course.models.ROLES`, `course.audit.operations.ACTIONS`); every action the audit log
knows has a label here (tests/web/test_admin_audit.py checks), so a new action cannot reach the log unnamed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from course.audit.operations import COMMAND_LINE

ROLE_LABELS = {
    "learner": _l("Learner"),
    "manager": _l("Manager"),
    "trainer": _l("Trainer"),
    "admin": _l("Administrator"),
}
GROUP_ROLE_LABELS = {"member": _l("Member"), "trainer": _l("Trainer"), "manager": _l("Manager")}
STATUS_LABELS = {
    "active": _l("Active"),
    "invited": _l("Invited"),
    "deactivated": _l("Deactivated"),
    "deleted": _l("Deleted"),
}
SIGN_IN_LABELS = {"password": _l("Password"), "sso": _l("Single sign-on"), "none": _l("None yet")}
LAST_LOGIN_LABELS = {"never": _l("Never"), "30": _l("More than 30 days ago"), "90": _l("More than 90 days ago")}
SORT_LABELS = {"name": _l("Name"), "email": _l("Email"), "created": _l("Created"), "last_login": _l("Last login")}
ACTION_LABELS = {
    "login": _l("Logged in"),
    "login_failed": _l("Login failed"),
    "sso_login": _l("Logged in with single sign-on"),
    "sso_login_refused": _l("Single sign-on refused"),
    "sso_linked": _l("Single sign-on linked"),
    "registered": _l("Registered"),
    "invited": _l("Invited"),
    "email_verified": _l("Email address confirmed"),
    "password_reset_requested": _l("Password reset requested"),
    "password_reset": _l("Password reset"),
    "password_changed": _l("Password changed"),
    "password_set": _l("Password set"),
    "email_change_requested": _l("Email change requested"),
    "email_changed": _l("Email address changed"),
    "profile_changed": _l("Profile changed"),
    "role_changed": _l("Role changed"),
    "deactivated": _l("Deactivated"),
    "reactivated": _l("Reactivated"),
    "deleted": _l("Account deleted"),
    "data_exported": _l("Data exported"),
    "certificate_revoked": _l("Certificate revoked"),
    "certificate_reissued": _l("Certificate reissued"),
    "published": _l("Content published"),
    "rubric_weights_changed": _l("Rubric weights changed"),
    "group_created": _l("Group created"),
    "group_renamed": _l("Group renamed"),
    "group_deleted": _l("Group deleted"),
    "group_member_added": _l("Added to a group"),
    "group_member_removed": _l("Removed from a group"),
    "group_member_role_changed": _l("Role in a group changed"),
    "assignment_created": _l("Course assigned"),
    "assignment_changed": _l("Assignment dates changed"),
    "assignment_removed": _l("Course unassigned"),
    "scorm_package_created": _l("SCORM package created"),
    "scorm_package_revoked": _l("SCORM package revoked"),
    "scorm_launch_refused": _l("SCORM launch refused"),
    "api_token_created": _l("API token created"),
    "api_token_revoked": _l("API token revoked"),
    "webhook_created": _l("Webhook created"),
    "webhook_changed": _l("Webhook changed"),
    "webhook_secret_rotated": _l("Webhook secret renewed"),
    "webhook_deleted": _l("Webhook deleted"),
    "lti_platform_added": _l("LTI platform registered"),
    "lti_platform_changed": _l("LTI platform changed"),
    "lti_platform_activated": _l("LTI platform activated"),
    "lti_platform_deactivated": _l("LTI platform deactivated"),
    "lti_platform_removed": _l("LTI platform removed"),
}


def actor_label(label: str) -> str:
    """Who acted, as stored (an email at the time), or nobody logged in, or the command line."""
    if not label:
        return str(_l("nobody logged in"))
    if label == COMMAND_LINE:
        return str(_l("command line"))
    return label


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def group_role_label(role: str) -> str:
    return str(GROUP_ROLE_LABELS.get(role, role))


def account_status(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
