// The studio's editor, enhanced: the preview follows the text (or the lesson's fields) as you type (debounced, rendered by the server
// with the learners' pipeline), and a problem's "line N" link puts the caret on that line. Without this script
// the Preview button shows the same preview and the links jump to the text field.
(function () {
  "use strict";
  var form = document.getElementById("studio-form");
  var text = form && form.querySelector("[data-studio-text]");
  var region = document.querySelector("[data-preview-region]");
  var status = document.querySelector("[data-preview-status]");
  if (!form || !text || !region || !window.fetch || !window.FormData) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name='csrf_token']");
  var timer = null;
  var sent = 0;
  var DELAY_MS = 400;

  function goToLine(line) {
    var lines = text.value.split("\n");
    var start = 0;
    for (var index = 0; index < Math.min(line - 1, lines.length); index += 1) {
      start += lines[index].length + 1;
    }
    var end = start + (lines[line - 1] || "").length;
    text.focus();
    text.setSelectionRange(start, end);
    // Scroll the line into view: the share of the text above it, applied to the field's scroll height.
    text.scrollTop = Math.max(0, (text.scrollHeight * (line - 1)) / Math.max(lines.length, 1) - text.clientHeight / 3);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-line]");
    if (!link) {
      return;
    }
    event.preventDefault();
    goToLine(Number(link.getAttribute("data-line")) || 1);
  });

  function refresh() {
    var number = ++sent;
    var body = new FormData(form);  // the whole file, or the lesson's form fields and its text
    body.delete("csrf_token");
    region.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "text/html" }
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (number !== sent) {
          return;  // a newer preview is on its way
        }
        region.innerHTML = html;  // sanitised lesson HTML and escaped text from the server's template
        region.removeAttribute("aria-busy");
        if (status) {
          status.textContent = status.getAttribute("data-done") || "";
        }
      })
      .catch(function () {
        region.removeAttribute("aria-busy");
      });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  });
  if (region.querySelector("[data-preview-placeholder]")) {
    refresh();
  }
})();
