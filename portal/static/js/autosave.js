/* Autosave of a proposal section (form[data-autosave]), on top of the form's own 儲存.

   A few seconds after typing pauses, and when the page is hidden or left, the form is
   posted in the background to the address 儲存 posts to, with the same CSRF token and
   section version, asking for JSON (portal/views/autosave.py). The version in the reply
   goes into the form, so the next save, background or pressed, is not taken for a
   stale one. A conflict (someone saved the section since the page was opened) or an
   expired login stops it and says so; what was typed stays in the form, and 儲存 then
   shows the conflict page, or keeps the typing through the login, as without
   JavaScript. portal.js warns before leaving while edits are not stored; this file
   tells it when a background save stored them all ("autosave:stored"). */
(function () {
  "use strict";

  var PAUSE_MS = 3000;
  var RETRY_MS = 30000;
  var TIMEOUT_MS = 20000;
  var LOGIN_EXPIRED =
    "登入已逾時，自動儲存已停止。您輸入的內容都還在這一頁；請按「儲存」，重新登入後會自動還原。";
  var NOT_SAVED = "自動儲存已停止：伺服器沒有接受這次儲存。您輸入的內容都還在這一頁；請按「儲存」查看原因。";
  var OFFLINE = "目前連不上伺服器，這次沒有自動儲存，稍後會再試。您輸入的內容都還在這一頁。";
  var PREVIEW_BEFORE = "預覽（自動儲存之前的內容；按「儲存」後更新）";

  function setup(form) {
    var version = form.elements.namedItem("version");
    var token = form.elements.namedItem("csrf_token");
    var overwrite = form.elements.namedItem("overwrite");
    if (!version || !token || !window.fetch || !window.FormData || !window.URLSearchParams) {
      return;
    }
    // The conflict page's form replaces the other save: only a person's press may do that.
    if (overwrite && overwrite.value) {
      return;
    }

    var actions = form.querySelector(".form-actions") || form;
    var status = document.createElement("p");
    status.className = "autosave-status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    actions.appendChild(status);
    form.classList.add("autosaving");

    var edits = 0; // input and change events so far
    var stored = 0; // how many of them the last stored save covered
    var lastBody = null; // what that save sent
    var timer = null;
    var sending = false;
    var again = false; // save once more when the save being sent is answered
    var stopped = false;
    var submitted = false; // a button was pressed: the page is going
    var held = null; // a press waiting for the background save's answer
    var retried = false;

    function say(text, warning) {
      status.textContent = text;
      status.classList.toggle("warning", Boolean(warning));
    }

    function stop(text) {
      stopped = true;
      window.clearTimeout(timer);
      status.textContent = "";
      var alert = document.createElement("p");
      alert.className = "autosave-stopped";
      alert.setAttribute("role", "alert");
      alert.textContent = text;
      actions.insertBefore(alert, actions.firstChild);
    }

    function later(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(save, delay || PAUSE_MS);
    }

    function storedAll(sent, body) {
      stored = sent;
      lastBody = body;
      if (edits === sent) {
        form.dispatchEvent(new CustomEvent("autosave:stored"));
      }
    }

    function answered(response, sent, body) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") !== 0) {
        // Not the save's answer: the login page after an expired login, or another page.
        stop(/\/auth\/login(\?|$)/.test(response.url) ? LOGIN_EXPIRED : NOT_SAVED);
        return null;
      }
      return response.json().then(function (reply) {
        if (reply.status === "saved") {
          version.value = reply.version;
          retried = false;
          var savedAt = document.querySelector("[data-saved-at]");
          if (savedAt && reply.saved_at) {
            savedAt.textContent = reply.saved_at;
          }
          // The Markdown previews are drawn by the server at a pressed save only.
          var previews = form.querySelectorAll(".preview > .hint");
          for (var i = 0; i < previews.length; i += 1) {
            previews[i].textContent = PREVIEW_BEFORE;
          }
          say(reply.message, false);
          storedAll(sent, body);
        } else if (reply.status === "token" && !retried) {
          token.value = reply.csrf_token;
          retried = true;
          again = true;
        } else if (reply.status === "conflict") {
          stop(reply.message);
        } else {
          say(reply.message, true);
        }
      });
    }

    function save(leaving) {
      window.clearTimeout(timer);
      if (stopped || submitted || edits === stored) {
        return;
      }
      if (sending) {
        again = true;
        return;
      }
      var sent = edits;
      var body = new URLSearchParams(new FormData(form)).toString();
      if (body === lastBody) {
        storedAll(sent, body); // typed and undone: the stored save still holds
        return;
      }
      sending = true;
      var options = {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"
        },
        body: body,
        // Carried on after the page is gone; browsers take at most 64 kB so.
        keepalive: leaving === true && body.length < 60000
      };
      if (window.AbortController) {
        var abort = new AbortController();
        options.signal = abort.signal;
        window.setTimeout(function () {
          abort.abort();
        }, TIMEOUT_MS);
      }
      window
        .fetch(form.action, options)
        .then(function (response) {
          return answered(response, sent, body);
        })
        .catch(function () {
          if (!stopped) {
            say(OFFLINE, true);
            later(RETRY_MS);
          }
        })
        .then(function () {
          sending = false;
          if (held !== null) {
            var press = held;
            held = null;
            pressAgain(press.button);
          } else if (again) {
            again = false;
            save();
          }
        });
    }

    // A press while a background save is on its way would carry the version from before
    // it, and be refused as someone else's save: it is made once the answer is in.
    function pressAgain(button) {
      if (form.requestSubmit) {
        form.requestSubmit(button);
        return;
      }
      if (button && button.name) {
        var pressed = document.createElement("input");
        pressed.type = "hidden";
        pressed.name = button.name;
        pressed.value = button.value;
        form.appendChild(pressed);
      }
      submitted = true;
      form.dispatchEvent(new CustomEvent("autosave:stored")); // the press saves the rest
      HTMLFormElement.prototype.submit.call(form);
    }

    function edited() {
      edits += 1;
      if (!stopped) {
        later();
      }
    }

    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) {
        return;
      }
      window.clearTimeout(timer);
      if (sending) {
        event.preventDefault();
        held = { button: event.submitter || null };
        return;
      }
      submitted = true;
    });
    window.addEventListener("pagehide", function () {
      save(true);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        save(true);
      }
    });
  }

  function init() {
    var forms = document.querySelectorAll("form[data-autosave]");
    for (var i = 0; i < forms.length; i += 1) {
      setup(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
