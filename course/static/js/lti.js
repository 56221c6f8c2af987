// The LTI pages' two steps that need the browser: the deep-linking answer goes back to the LMS by itself (the
// button stays for browsers without JavaScript), and after a dynamic registration the LMS is told to close the
// registration window (LTI Dynamic Registration 1.0, org.imsglobal.lti.close).
"use strict";
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
if (document.querySelector("[data-lti-close]")) {
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
}
