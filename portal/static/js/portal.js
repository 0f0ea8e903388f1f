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

  function setupConfirm(form) {
    form.addEventListener("submit", function (event) {
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        event.preventDefault();
      }
    });
  }

  function init() {
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
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
