/* The LMS side of tests/e2e/test_scorm_journey.py: scorm-again's run-time on this window, as an LMS would put it
 * there, with the learner preset in cmi; then the imported package's SCO in a frame. Query parameters: version
 * ("1.2" or "2004"), sco (the launch file's path), learner_id and learner_name (left out: no learner). */
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  var settings = { autocommit: false, logLevel: 5 };
  window.lmsEvents = []; // the SCO's calls that matter, in order
  window.lmsValues = []; // every [element, value] the SCO set, in order
  if (params.get("version") === "1.2") {
    var api12 = (window.API = new window.Scorm12API(settings));
    if (params.has("learner_id")) {
      api12.cmi.core.student_id = params.get("learner_id");
      api12.cmi.core.student_name = params.get("learner_name") || "";
    }
    api12.on("LMSSetValue.cmi.*", function (element, value) {
      window.lmsValues.push([element, value]);
    });
    ["LMSInitialize", "LMSCommit", "LMSFinish"].forEach(function (name) {
      api12.on(name, function () {
        window.lmsEvents.push(name);
      });
    });
  } else {
    var api2004 = (window.API_1484_11 = new window.Scorm2004API(settings));
    if (params.has("learner_id")) {
      api2004.cmi.learner_id = params.get("learner_id");
      api2004.cmi.learner_name = params.get("learner_name") || "";
    }
    api2004.on("SetValue.cmi.*", function (element, value) {
      window.lmsValues.push([element, value]);
    });
    ["Initialize", "Commit", "Terminate"].forEach(function (name) {
      api2004.on(name, function () {
        window.lmsEvents.push(name);
      });
    });
  }
  document.getElementById("sco").src = params.get("sco");
})();
