// The plan editor, enhanced: the pay preview (80/100/120 % of target) refreshed from the server as the learner
// types, a live preview of the pay mix, the weights and the most the plan can cost, unused component rows tucked
// behind an "Add a component" button, and controls shown only where they apply (team share for split credit,
// mandate questions for objectives, the per-row gate mark when the gate covers only marked components). The
// server still checks and evaluates everything; without this script the whole form and a "Preview" button show.
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  var preview = document.querySelector("[data-preview]");
  if (!form || !preview || !window.Intl) {
    return;
  }
  var messages = JSON.parse(preview.getAttribute("data-messages") || "{}");
  var lang = preview.getAttribute("data-lang") || document.documentElement.lang || "en";
  var binary = (preview.getAttribute("data-binary-metrics") || "").split(/\s+/);
  var objectives = preview.getAttribute("data-objectives-metric") || "mandate_objectives";
  var previewUrl = preview.getAttribute("data-preview-url");
  var payPreview = preview.querySelector("[data-pay-preview]");
  var list = preview.querySelector("[data-preview-list]");
  var bar = preview.querySelector("[data-fixed-bar]");
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-component]"));
  var percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  var plain = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });

  function field(scope, suffix) {
    return scope.querySelector("[name$='" + suffix + "']");
  }

  // A number as the server reads it (course/core/quiz/numbers.py): with both separators the last one is the
  // decimal; a lone separator is the language's thousands separator only before groups of three digits.
  var thousands = lang === "de" ? "." : ",";
  function number(input) {
    var text = input ? input.value.replace(/[\s\u00a0\u202f%€]/g, "") : "";
    if (text === "" || !/^[+-]?[0-9.,]+$/.test(text)) {
      return NaN;
    }
    var last = Math.max(text.lastIndexOf("."), text.lastIndexOf(","));
    if (text.indexOf(".") >= 0 && text.indexOf(",") >= 0) {
      return Number(text.slice(0, last).replace(/[.,]/g, "") + "." + text.slice(last + 1));
    }
    var separator = last >= 0 ? text.charAt(last) : null;
    var parts = separator ? text.split(separator) : [text];
    if (parts.length > 2 || (separator === thousands && parts.slice(1).every(function (p) { return p.length === 3; }))) {
      return Number(parts.join(""));
    }
    return Number(separator ? parts.join(".") : text);
  }

  function money(value) {
    var currency = (field(form, "currency") || {}).value || preview.getAttribute("data-currency") || "EUR";
    var options = { style: "currency", maximumFractionDigits: 0, minimumFractionDigits: 0 };
    try {
      return new Intl.NumberFormat(lang, Object.assign({ currency: currency.trim().toUpperCase() }, options)).format(value);
    } catch (error) {  // not a currency code (the server will say so): the page's own currency
      return new Intl.NumberFormat(lang, Object.assign({ currency: preview.getAttribute("data-currency") || "EUR" }, options)).format(value);
    }
  }

  function add(term, text, flagged) {
    var dt = document.createElement("dt");
    var dd = document.createElement("dd");
    dt.textContent = term;
    dd.textContent = text;
    if (flagged) {
      dd.className = "preview-flag";
    }
    list.appendChild(dt);
    list.appendChild(dd);
  }

  // The filled-in rows: their weights add up, and each one pays at most its cap (a renewal pays its amount).
  function components() {
    var weights = 0;
    var most = 0;
    var count = 0;
    rows.forEach(function (row) {
      var metric = field(row, "-metric").value;
      if (!metric) {
        return;
      }
      var weight = number(field(row, "-weight_pct")) || 0;
      var cap = number(field(row, "-cap_pct"));
      var target = number(field(row, "-target_pct"));
      var share = isNaN(cap) ? Infinity : cap / 100;
      if (binary.indexOf(metric) >= 0) {
        share = Math.min(share, 100 / (target > 0 ? target : 100));
      }
      count += 1;
      weights += weight;
      most += (weight / 100) * share;
    });
    return { count: count, weights: weights, most: most };
  }

  function update() {
    var ttc = number(field(form, "ttc"));
    var base = number(field(form, "base_salary"));
    var valid = ttc > 0 && base >= 0 && base <= ttc;
    var totals = components();
    list.textContent = "";
    bar.classList.toggle("mix-bar__fixed--none", !valid);
    if (valid) {
      bar.style.width = (base / ttc * 100).toFixed(1) + "%";  // CSSOM, which style-src 'self' allows
      add(messages.fixed, money(base) + " (" + percent.format(base / ttc) + ")");
      add(messages.variable, money(ttc - base) + " (" + percent.format(1 - base / ttc) + ")");
    } else {
      add(messages.fixed, messages.invalid);
    }
    if (totals.count) {
      var off = Math.abs(totals.weights - 100) > 0.01;
      add(messages.weights, plain.format(totals.weights) + " %" + (off ? " – " + messages.weights_off : ""), off);
    }
    if (valid) {
      add(messages.max, isFinite(totals.most) ? money(base + (ttc - base) * totals.most) : messages.uncapped);
    }
  }

  // Team share only for split credit; mandate questions only for objectives; the gate mark only for "some".
  function showTeamShare(row) {
    var share = field(row, "-team_share_pct");
    share.closest(".field").hidden = field(row, "-credit").value !== "split";
    var questions = row.querySelector("[data-objectives]");
    if (questions) {
      questions.hidden = field(row, "-metric").value !== objectives;
    }
  }
  function showGateMarks() {
    var chosen = form.querySelector("[name='gate']:checked");
    var some = chosen !== null && chosen.value === "some";
    rows.forEach(function (row) {
      var mark = row.querySelector("[data-gated]");
      if (mark) {
        mark.hidden = !some;
      }
    });
  }

  // The pay preview comes from the server (the same arithmetic as without the script), a moment after typing.
  var timer = null;
  var asked = 0;
  function refreshPay() {
    if (!previewUrl || !payPreview || !window.fetch) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var ticket = ++asked;
      fetch(previewUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && ticket === asked) {
            payPreview.innerHTML = answer.html;  // the server's own template, escaped there
          }
        })
        .catch(function () {});  // offline: the last preview stays; the button below still works
    }, 400);
  }

  // Rows after the first unused one wait behind a button.
  var firstEmpty = rows.findIndex(function (row) { return !field(row, "-metric").value; });
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button button--secondary add-component";
  button.textContent = messages.add;
  rows.forEach(function (row, index) {
    showTeamShare(row);
    row.hidden = firstEmpty >= 0 && index > firstEmpty && !field(row, "-metric").value;
  });
  function hiddenRows() {
    return rows.filter(function (row) { return row.hidden; });
  }
  button.addEventListener("click", function () {
    var next = hiddenRows()[0];
    if (next) {
      next.hidden = false;
      field(next, "-metric").focus();
    }
    button.hidden = hiddenRows().length === 0;
  });
  button.hidden = hiddenRows().length === 0;
  rows[rows.length - 1].after(button);

  form.addEventListener("change", function (event) {
    var row = event.target.closest("[data-component]");
    if (row) {
      showTeamShare(row);
    }
    if (event.target.name === "gate") {
      showGateMarks();
    }
    update();
    refreshPay();
  });
  form.addEventListener("input", function () {
    update();
    refreshPay();
  });
  showGateMarks();
  var previewButton = form.querySelector("[data-preview-button]");
  if (previewButton && previewUrl && window.fetch) {
    previewButton.hidden = true;  // the preview follows the typing
  }
  preview.querySelector("[data-mix]").hidden = false;
  update();
})();
