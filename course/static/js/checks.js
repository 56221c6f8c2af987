// Knowledge checks in lessons: the answer goes to the server and its feedback appears under the question, without
// leaving the page. Without JavaScript the same form opens a page with the feedback. The feedback is the lesson's
// own sanitised HTML (course/core/text/checks.py), so it is inserted as HTML.
"use strict";
document.querySelectorAll("form.knowledge-check").forEach((form) => {
  const output = form.querySelector(".knowledge-check__feedback");
  form.addEventListener("submit", async (event) => {
    if (!output) return;
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      output.className = "knowledge-check__feedback";
      if (!response.ok) {
        output.textContent = data.message || "";
        return;
      }
      output.classList.add(data.correct ? "knowledge-check__feedback--right" : "knowledge-check__feedback--wrong");
      const verdict = document.createElement("strong");
      verdict.textContent = data.verdict;
      const paragraph = document.createElement("p");
      paragraph.append(verdict, " ");
      paragraph.insertAdjacentHTML("beforeend", data.feedback);
      output.replaceChildren(paragraph);
    } catch {
      form.submit(); // no answer from the server as JSON: show the feedback page instead
    } finally {
      if (button) button.disabled = false;
    }
  });
});
