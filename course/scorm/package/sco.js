/* The SCO of a dispatch package: finds the LMS's SCORM run-time, asks it who the learner is, opens the hosted course
 * for that learner and copies the learner's standing (completion, success, score) from the course into the LMS.
 * ES5 syntax in one file, no build step: LMSs run packages in whatever browser their learners have (fetch is the
 * newest thing it needs). */
(function () {
  "use strict";

  var settings = JSON.parse(document.getElementById("sco-settings").textContent);
  var v12 = settings.version === "1.2";
  var calls = v12
    ? { start: "LMSInitialize", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit", finish: "LMSFinish" }
    : { start: "Initialize", get: "GetValue", set: "SetValue", commit: "Commit", finish: "Terminate" };
  var element = v12
    ? { id: "cmi.core.student_id", name: "cmi.core.student_name", status: "cmi.core.lesson_status", exit: "cmi.core.exit" }
    : { id: "cmi.learner_id", name: "cmi.learner_name", status: "cmi.completion_status", exit: "cmi.exit" };
  var texts = pickTexts(settings.texts);
  var statusLine = document.getElementById("sco-status");
  var openLink = document.getElementById("sco-open");
  var frame = document.getElementById("sco-frame");

  function pickTexts(all) {
    var wanted = String(navigator.language || "").slice(0, 2).toLowerCase();
    for (var lang in all) {
      if (Object.prototype.hasOwnProperty.call(all, lang) && lang === wanted) {
        document.documentElement.lang = lang;
        return all[lang];
      }
    }
    for (var first in all) {
      if (Object.prototype.hasOwnProperty.call(all, first)) {
        return all[first];
      }
    }
    return {};
  }

  function say(text, problem) {
    statusLine.textContent = text;
    statusLine.className = problem ? "sco-status sco-status--problem" : "sco-status";
  }

  // SCORM run-time environment: the API object is on a parent frame (at most 500 levels up) or on the window that
  // opened this one, or on that window's parents. Frames of another origin cannot be read: they are skipped.
  function apiIn(win) {
    var name = v12 ? "API" : "API_1484_11";
    for (var depth = 0; win && depth <= 500; depth += 1) {
      try {
        if (win[name]) {
          return win[name];
        }
      } catch (ignored) {
        // another origin's frame
      }
      if (win.parent === win) {
        break;
      }
      win = win.parent;
    }
    return null;
  }

  function findApi() {
    var api = apiIn(window.parent === window ? null : window.parent);
    if (!api) {
      api = apiIn(window);
    }
    if (!api && window.top && window.top.opener) {
      api = apiIn(window.top.opener);
    }
    if (!api && window.opener) {
      api = apiIn(window.opener);
    }
    return api;
  }

  var api = findApi();
  if (!api) {
    say(texts.no_lms, true);
    return;
  }
  if (String(api[calls.start]("")) !== "true") {
    say(texts.no_session, true);
    return;
  }

  var startedAt = Date.now();
  function sessionTime() {
    var seconds = Math.max(0, Math.round((Date.now() - startedAt) / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = seconds % 60;
    if (!v12) {
      return "PT" + hours + "H" + minutes + "M" + rest + "S";
    }
    function two(n) {
      return (n < 10 ? "0" : "") + n;
    }
    return two(Math.min(hours, 9999)) + ":" + two(minutes) + ":" + two(rest); // CMITimespan
  }

  var finished = false;
  var completed = false;
  function finish() {
    if (finished) {
      return;
    }
    finished = true;
    api[calls.set](v12 ? "cmi.core.session_time" : "cmi.session_time", sessionTime());
    if (!completed) {
      api[calls.set](element.exit, "suspend"); // the LMS resumes the attempt next time
    } else if (!v12) {
      api[calls.set](element.exit, "normal");
    }
    api[calls.commit]("");
    api[calls.finish]("");
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);

  var learnerId = String(api[calls.get](element.id) || "");
  var learnerName = String(api[calls.get](element.name) || "");
  var launch = settings.launch + "?learner_id=" + encodeURIComponent(learnerId);
  if (learnerName) {
    launch += "&learner_name=" + encodeURIComponent(learnerName);
  }

  if (!learnerId) {
    // The course refuses too, and records the refusal for its administrators: the page below says so.
    say(texts.no_learner, true);
    frame.src = launch;
    frame.hidden = false;
    return;
  }

  var started = String(api[calls.get](element.status) || "");
  if (started === "not attempted" || started === "unknown" || started === "") {
    api[calls.set](element.status, "incomplete");
    api[calls.commit]("");
  }

  var reported = {};
  function apply(values) {
    var changed = false;
    for (var i = 0; i < values.length; i += 1) {
      var name = values[i][0];
      var value = values[i][1];
      if (reported[name] !== value) {
        api[calls.set](name, value);
        reported[name] = value;
        changed = true;
      }
    }
    if (changed) {
      api[calls.commit]("");
    }
  }

  var stopped = false;
  var timer = null;
  function check() {
    if (stopped || finished) {
      return;
    }
    var url = settings.status + "?learner_id=" + encodeURIComponent(learnerId);
    fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          say(answer.body.message || texts.unavailable, true);
          if (answer.body.error === "revoked" || answer.body.error === "unknown_package") {
            stopped = true;
            window.clearInterval(timer);
          }
          return;
        }
        completed = answer.body.completed === true;
        apply(answer.body.values);
        say(completed ? texts.completed : texts.running, false);
      })
      .catch(function () {
        say(texts.unavailable, true);
      });
  }

  openLink.href = launch;
  openLink.hidden = false;
  frame.addEventListener("load", check); // every page the learner opens in the course
  frame.src = launch;
  frame.hidden = false;
  window.addEventListener("focus", check); // back from the course in its own window
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      check();
    }
  });
  timer = window.setInterval(check, Math.max(1, settings.poll_seconds) * 1000);
  say(texts.running, false);
})();
