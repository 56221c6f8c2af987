// Check a quiz answer in place: the server grades it and returns the question re-drawn with its
// feedback. The page never holds an answer key. Without this script the same button posts the form.
(function () {
  "use strict";
  var form = document.querySelector("form.quiz-form");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name='check']");
    if (!button) {
      return;
    }
    event.preventDefault();
    var data = new FormData(form);
    data.append("check", button.value);
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    })
      .then(function (response) {
        if (response.status !== 200 && response.status !== 400) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var old = document.getElementById("q" + button.value);
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("fieldset.question");
        if (!old || !fresh) {
          throw new Error("unexpected answer");
        }
        old.replaceWith(fresh);
        var focus = fresh.querySelector(".outcome, .field__errors");
        if (focus) {
          focus.setAttribute("tabindex", "-1");
          focus.focus();
        }
      })
      .catch(function () {
        // Fall back to the plain form post, which shows the same result on a new page.
        button.disabled = false;
        var fallback = document.createElement("input");
        fallback.type = "hidden";
        fallback.name = "check";
        fallback.value = button.value;
        form.appendChild(fallback);
        form.submit();
      });
  });
})();
