// The quiz page, enhanced. Without this script everything works as plain form posts; with it:
// - "Check this answer" asks the server to grade one question and swaps in the question it returns, with its
//   feedback (the page never holds an answer key);
// - the question navigator follows what the learner answers and checks;
// - ordering questions are sorted by dragging (mouse, touch on the handle) or with the move buttons, which
//   announce the new position; the hidden position selects stay filled, so the form posts what it always did.
(function () {
  "use strict";
  var form = document.querySelector("form.quiz-form");
  if (!form) {
    return;
  }
  // A checked question's outcome (its class outcome--<name>) and the symbol the navigator shows for it.
  var SYMBOLS = { right: "\u2713", partial: "\u25D0", wrong: "\u2717" };
  var OUTCOMES = Object.keys(SYMBOLS);

  // --- The navigator -------------------------------------------------------------------------------------

  var nav = document.querySelector("[data-quiz-nav]");

  function hasValue(field) {
    if (field.type === "hidden" || field.type === "button" || field.type === "submit") {
      return false;
    }
    if (field.type === "radio" || field.type === "checkbox") {
      return field.checked;
    }
    return field.value.trim() !== "";
  }

  function stateOf(fieldset) {
    var outcome = fieldset.querySelector(".outcome");
    if (outcome) {
      for (var i = 0; i < OUTCOMES.length; i++) {
        if (outcome.classList.contains("outcome--" + OUTCOMES[i])) {
          return OUTCOMES[i];
        }
      }
    }
    var fields = fieldset.querySelectorAll("input, select, textarea");
    for (var j = 0; j < fields.length; j++) {
      if (hasValue(fields[j])) {
        return "answered";
      }
    }
    return "open";
  }

  // [symbol, words] for a state; a checked question's words repeat the heading of its outcome.
  function labelOf(state, fieldset) {
    if (SYMBOLS[state]) {
      var heading = fieldset.querySelector(".outcome strong"); // the first line of the outcome
      var lang = document.documentElement.lang || undefined;
      var words = heading ? heading.textContent.trim().toLocaleLowerCase(lang) : "";
      return [SYMBOLS[state], nav.getAttribute("data-state-checked").replace("{state}", words)];
    }
    var parts = nav.getAttribute("data-state-" + state).split("|");
    return [parts[0], parts.slice(1).join("|")];
  }

  function updateNavigator() {
    if (!nav) {
      return;
    }
    var links = nav.querySelectorAll(".quiz-nav__link");
    var answered = 0;
    for (var i = 0; i < links.length; i++) {
      var link = links[i];
      var fieldset = document.getElementById(link.getAttribute("href").slice(1));
      if (!fieldset) {
        continue;
      }
      var state = stateOf(fieldset);
      if (state !== "open") {
        answered += 1;
      }
      if (link.getAttribute("data-state") === state) {
        continue;
      }
      var label = labelOf(state, fieldset);
      link.classList.remove("quiz-nav__link--" + link.getAttribute("data-state"));
      link.classList.add("quiz-nav__link--" + state);
      link.setAttribute("data-state", state);
      link.querySelector(".quiz-nav__symbol").textContent = label[0];
      link.querySelector(".quiz-nav__state").lastChild.nodeValue = label[1];
    }
    var count = nav.querySelector("[data-quiz-nav-count]");
    if (count) {
      count.textContent = count
        .getAttribute("data-quiz-nav-count")
        .replace("{answered}", String(answered))
        .replace("{total}", String(links.length));
    }
  }

  form.addEventListener("input", updateNavigator);
  form.addEventListener("change", updateNavigator);

  // --- Ordering ------------------------------------------------------------------------------------------

  function rowsOf(list) {
    return Array.prototype.slice.call(list.children);
  }

  function selectOf(row) {
    return row.querySelector("select");
  }

  // A saved complete order is shown as the list's order; otherwise the items stay as they were dealt.
  function applySavedOrder(list) {
    var rows = rowsOf(list);
    var places = rows.map(function (row) {
      return parseInt(selectOf(row).value, 10);
    });
    var sorted = places.slice().sort(function (a, b) {
      return a - b;
    });
    for (var i = 0; i < sorted.length; i++) {
      if (sorted[i] !== i + 1) {
        return;
      }
    }
    rows
      .slice()
      .sort(function (a, b) {
        return parseInt(selectOf(a).value, 10) - parseInt(selectOf(b).value, 10);
      })
      .forEach(function (row) {
        list.appendChild(row);
      });
  }

  function refreshButtons(list) {
    var rows = rowsOf(list);
    rows.forEach(function (row, index) {
      row.querySelector("[data-move='-1']").disabled = index === 0;
      row.querySelector("[data-move='1']").disabled = index === rows.length - 1;
    });
  }

  // The list's order becomes the answer: every select gets its row's place, and the move is announced.
  function commit(list, moved) {
    var rows = rowsOf(list);
    rows.forEach(function (row, index) {
      selectOf(row).value = String(index + 1);
    });
    refreshButtons(list);
    list.setAttribute("data-committing", "");
    selectOf(rows[0]).dispatchEvent(new Event("change", { bubbles: true }));
    list.removeAttribute("data-committing");
    var status = list.parentNode.querySelector("[data-ordering-status]");
    if (moved && status) {
      var label = moved.querySelector("label");
      status.textContent = list
        .getAttribute("data-moved")
        .replace("{n}", String(rows.indexOf(moved) + 1))
        .replace("{m}", String(rows.length))
        .replace("{item}", label ? label.textContent.trim() : "");
    }
  }

  function moveWithButton(list, button) {
    var row = button.closest(".ordering__row");
    var up = button.getAttribute("data-move") === "-1";
    var neighbour = up ? row.previousElementSibling : row.nextElementSibling;
    if (!neighbour) {
      return;
    }
    list.insertBefore(up ? row : neighbour, up ? neighbour : row);
    commit(list, row);
    // Moving the row can drop the focus, and at the end of the list its button is disabled: keep the learner
    // on this item's buttons.
    var target = button.disabled ? row.querySelector("[data-move='" + (up ? "1" : "-1") + "']") : button;
    target.focus();
  }

  function startDrag(list, event) {
    var row = event.target.closest(".ordering__row");
    if (!row || event.button !== 0 || event.target.closest("button")) {
      return;
    }
    if (event.pointerType !== "mouse" && !event.target.closest(".ordering__handle")) {
      return; // a finger on the text scrolls the page; dragging by touch uses the handle
    }
    event.preventDefault();
    row.classList.add("is-dragging");
    if (row.setPointerCapture) {
      row.setPointerCapture(event.pointerId);
    }
    function follow(move) {
      var rows = rowsOf(list);
      for (var i = 0; i < rows.length; i++) {
        var box = rows[i].getBoundingClientRect();
        if (rows[i] !== row && move.clientY >= box.top && move.clientY <= box.bottom) {
          var after = rows.indexOf(row) < i;
          list.insertBefore(row, after ? rows[i].nextElementSibling : rows[i]);
          return;
        }
      }
    }
    function stop() {
      row.classList.remove("is-dragging");
      row.removeEventListener("pointermove", follow);
      row.removeEventListener("pointerup", stop);
      row.removeEventListener("pointercancel", stop);
      commit(list, row);
    }
    row.addEventListener("pointermove", follow);
    row.addEventListener("pointerup", stop);
    row.addEventListener("pointercancel", stop);
  }

  function makeSortable(list) {
    if (list.classList.contains("ordering--sortable")) {
      return;
    }
    list.classList.add("ordering--sortable");
    var fieldset = list.closest("fieldset");
    Array.prototype.forEach.call(fieldset.querySelectorAll("[data-hint-plain]"), function (hint) {
      hint.hidden = true;
    });
    Array.prototype.forEach.call(
      fieldset.querySelectorAll("[data-hint-script], .ordering__tools, .ordering__handle"),
      function (element) {
        element.hidden = false;
      }
    );
    rowsOf(list).forEach(function (row) {
      var select = selectOf(row);
      select.tabIndex = -1;
      select.setAttribute("aria-hidden", "true");
    });
    applySavedOrder(list);
    refreshButtons(list);
    // Positions set in the selects some other way (autofill, a test driver) reorder the list once complete.
    list.addEventListener("change", function () {
      if (!list.hasAttribute("data-committing")) {
        applySavedOrder(list);
        refreshButtons(list);
      }
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-move]");
      if (button) {
        moveWithButton(list, button);
      }
    });
    list.addEventListener("pointerdown", function (event) {
      startDrag(list, event);
    });
  }

  function enhance(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-ordering]"), makeSortable);
  }

  enhance(form);
  updateNavigator();

  // --- Checking one answer in place ----------------------------------------------------------------------

  if (!window.fetch || !window.FormData) {
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
        enhance(fresh);
        updateNavigator();
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
