/* Progressive enhancements for the portal; every page works without this file.
   (1) live character counters, (2) confirm before submitting forms with data-confirm. */
(function () {
  "use strict";

  // Count code points, like Python's len(): a non-BMP character (e.g. 𠀋) is one character.
  function length(text) {
    return Array.from(text).length;
  }

  function setupCounter(counter) {
    var input = document.getElementById(counter.getAttribute("data-counter-for"));
    var budget = parseInt(counter.getAttribute("data-budget"), 10);
    if (!input || !(budget > 0)) {
      return;
    }

    // The visible counter changes on every keystroke; screen readers hear a summary
    // only after typing pauses, so they are not interrupted per character.
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    counter.parentNode.insertBefore(status, counter.nextSibling);
    var timer = null;

    function message(used) {
      var text = used + " / " + budget + " 字";
      if (used > budget) {
        text += "（超過 " + (used - budget) + " 字）";
      }
      return text;
    }

    function update() {
      var used = length(input.value);
      counter.textContent = message(used);
      counter.classList.toggle("over", used > budget);
      return used;
    }

    input.addEventListener("input", function () {
      var used = update();
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        status.textContent = used > budget ? message(used) : "還可輸入 " + (budget - used) + " 字";
      }, 1000);
    });
    update();
  }

  // A required field left empty is said next to it before any confirmation is asked:
  // confirming first and hearing of the missing reason only afterwards wastes a step.
  function missingRequired(form) {
    var first = null;
    form.querySelectorAll("[data-required-message]").forEach(function (field) {
      var id = field.id + "-error";
      var shown = document.getElementById(id);
      if (field.value.trim() !== "") {
        if (shown) {
          shown.remove();
          field.removeAttribute("aria-invalid");
          field.removeAttribute("aria-describedby");
        }
        return;
      }
      if (!shown) {
        shown = document.createElement("p");
        shown.className = "error-message";
        shown.id = id;
        shown.textContent = field.getAttribute("data-required-message");
        field.parentNode.insertBefore(shown, field);
      }
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", id);
      first = first || field;
    });
    if (first) {
      first.focus();
    }
    return first !== null;
  }

  function setupConfirm(form) {
    form.addEventListener("submit", function (event) {
      if (missingRequired(form)) {
        event.preventDefault();
        return;
      }
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
      }
    });
  }

  // "列印 / 另存 PDF": the button is hidden in the HTML and shown only when it works.
  function setupPrint(button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  }

  // A whole number as the server reads it: full-width digits and thousands separators
  // are the number they are; anything else is not a number (NaN).
  function wholeNumber(text) {
    var plain = text.replace(/[\uFF10-\uFF19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48);
    }).replace(/[,\uFF0C\s]/g, "");
    return /^[+-]?\d+$/.test(plain) ? parseInt(plain, 10) : NaN;
  }

  // Resource lines: recompute the total and the private share as amounts are typed.
  function setupLiveTotals(box) {
    var form = box.closest("form");
    if (!form) {
      return;
    }
    function recompute() {
      var total = 0;
      var privateTotal = 0;
      var amounts = form.querySelectorAll("input[name$='-amount']");
      for (var i = 0; i < amounts.length; i += 1) {
        var value = wholeNumber(amounts[i].value);
        if (!isNaN(value) && value > 0) {
          var source = form.querySelector("[name='" + amounts[i].name.replace(/-amount$/, "-source") + "']");
          if (source && source.value) {
            total += value;
            if (source.value === "private") {
              privateTotal += value;
            }
          }
        }
      }
      // One decimal, halves rounded up, in whole numbers: the same rule as the server's
      // funding.percent, so the live figure and the saved table never differ.
      var tenths = total ? Math.floor((privateTotal * 2000 + total) / (2 * total)) : 0;
      var share = total ? Math.floor(tenths / 10) + "." + (tenths % 10) + "%" : "—";
      box.textContent = "即時合計：" + total.toLocaleString("zh-TW") + " 千元・民間投資比例：" + share;
    }
    form.addEventListener("input", recompute);
    form.addEventListener("change", recompute);
    recompute();
  }

  // A form marked data-autosave (the proposal's sections) warns before its page is left
  // with edits not yet saved: following a link or closing the tab would lose them.
  // Submitting the form (any of its buttons) is saving, so it never warns; nor does a
  // background save that stored every edit (autosave.js says so with "autosave:stored").
  function setupUnsavedWarning(form) {
    var dirty = false;
    form.addEventListener("input", function () {
      dirty = true;
    });
    form.addEventListener("change", function () {
      dirty = true;
    });
    form.addEventListener("submit", function () {
      dirty = false;
    });
    form.addEventListener("autosave:stored", function () {
      dirty = false;
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  function init() {
    var printButtons = document.querySelectorAll("[data-print]");
    var liveTotals = document.querySelectorAll("[data-live-totals]");
    for (var p = 0; p < printButtons.length; p += 1) {
      setupPrint(printButtons[p]);
    }
    for (var t = 0; t < liveTotals.length; t += 1) {
      setupLiveTotals(liveTotals[t]);
    }
    var counters = document.querySelectorAll(".counter[data-counter-for][data-budget]");
    var forms = document.querySelectorAll("form[data-confirm]");
    var i;
    for (i = 0; i < counters.length; i += 1) {
      try {
        setupCounter(counters[i]);
      } catch (err) {
        // A broken counter must not stop the rest of the page from working.
      }
    }
    for (i = 0; i < forms.length; i += 1) {
      setupConfirm(forms[i]);
    }
    var guarded = document.querySelectorAll("form[data-autosave]");
    for (i = 0; i < guarded.length; i += 1) {
      setupUnsavedWarning(guarded[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
