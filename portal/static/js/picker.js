/* Searchable picker over a <select multiple data-picker> (合作鄉鎮市區): type a township's
   or a county's name, choose with the arrow keys and Enter or by tapping, remove with the
   chips' buttons. The select stays in the form, hidden, and is what is submitted; without
   this file it is the control people use. The data-picker attribute holds the hint that
   replaces the select's own (which explains Ctrl-click). */
(function () {
  "use strict";

  // 台 and 臺 are both written; the reference data spells 臺.
  function normalise(text) {
    return text.replace(/台/g, "臺").replace(/\s+/g, "").toLowerCase();
  }

  function terms(query) {
    return query.split(/[\s,，、]+/).map(normalise).filter(Boolean);
  }

  function setup(select) {
    var label = document.querySelector("label[for='" + select.id + "']");
    var name = label ? label.textContent.replace(/必填/, "").trim() : "";
    var items = Array.prototype.map.call(select.options, function (option) {
      var group = option.parentNode.tagName === "OPTGROUP" ? option.parentNode.label : "";
      var full = group + option.text;
      return { option: option, name: full, key: normalise(full) };
    });
    var matches = [];
    var active = -1;

    var box = document.createElement("div");
    box.className = "picker";
    var chips = document.createElement("ul");
    chips.className = "picker-chips";
    chips.setAttribute("aria-label", "已選的" + name);
    var input = document.createElement("input");
    input.type = "text";
    input.id = select.id + "-search";
    input.className = "picker-input";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", select.id + "-options");
    input.setAttribute("enterkeyhint", "done");
    ["aria-describedby", "aria-invalid"].forEach(function (attribute) {
      if (select.hasAttribute(attribute)) {
        input.setAttribute(attribute, select.getAttribute(attribute));
      }
    });
    var list = document.createElement("ul");
    list.id = select.id + "-options";
    list.className = "picker-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "符合的鄉鎮市區");
    list.hidden = true;
    var message = document.createElement("p");
    message.className = "picker-message hint";
    message.setAttribute("aria-live", "polite");

    box.appendChild(chips);
    box.appendChild(input);
    box.appendChild(list);
    box.appendChild(message);
    select.parentNode.insertBefore(box, select.nextSibling);
    select.classList.add("picker-source");
    if (label) {
      label.htmlFor = input.id;
    }
    var hint = document.getElementById(select.id + "-hint");
    if (hint && select.getAttribute("data-picker")) {
      hint.textContent = select.getAttribute("data-picker");
    }

    function changed(text) {
      select.dispatchEvent(new Event("change", { bubbles: true }));
      message.textContent = text;
      drawChips();
    }

    function drawChips() {
      chips.textContent = "";
      items.forEach(function (item) {
        if (!item.option.selected) {
          return;
        }
        var chip = document.createElement("li");
        var text = document.createElement("span");
        text.textContent = item.name;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "picker-remove";
        var cross = document.createElement("span");
        cross.setAttribute("aria-hidden", "true");
        cross.textContent = "×";
        var spoken = document.createElement("span");
        spoken.className = "visually-hidden";
        spoken.textContent = "移除 " + item.name;
        remove.appendChild(cross);
        remove.appendChild(spoken);
        remove.addEventListener("click", function () {
          removeItem(item, chip);
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      chips.hidden = chips.children.length === 0;
    }

    function removeItem(item, chip) {
      // Focus moves to the chip now in its place (or the last one), else the search box.
      var index = Array.prototype.indexOf.call(chips.children, chip);
      item.option.selected = false;
      changed("已移除 " + item.name + "，目前選了 " + select.selectedOptions.length + " 個。");
      var left = chips.children.length;
      (left ? chips.children[Math.min(index, left - 1)].querySelector("button") : input).focus();
    }

    function add(item) {
      item.option.selected = true;
      input.value = "";
      close();
      changed("已加入 " + item.name + "，目前選了 " + select.selectedOptions.length + " 個。");
      input.focus();
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      matches = [];
      active = -1;
    }

    function highlight(index) {
      var options = list.children;
      if (active >= 0 && options[active]) {
        options[active].classList.remove("active");
        options[active].setAttribute("aria-selected", "false");
      }
      active = index;
      if (active >= 0 && options[active]) {
        options[active].classList.add("active");
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    // Every word typed must appear in 縣市 + 鄉鎮市區 (「臺東 池上」 finds one); already
    // chosen ones are not offered again. An empty box lists everything (arrow down).
    function open() {
      var wanted = terms(input.value);
      close();
      matches = items.filter(function (item) {
        return (
          !item.option.selected &&
          wanted.every(function (term) {
            return item.key.indexOf(term) !== -1;
          })
        );
      });
      if (matches.length === 0) {
        message.textContent = "沒有符合「" + input.value.trim() + "」的鄉鎮市區。";
        return;
      }
      matches.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = select.id + "-option-" + item.option.value;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = item.name;
        option.addEventListener("click", function () {
          add(matches[index]);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      message.textContent = "找到 " + matches.length + " 個，按 ↓ 選擇、Enter 加入，或直接點選。";
    }

    input.addEventListener("input", function () {
      if (input.value.trim()) {
        open();
      } else {
        close();
        message.textContent = "";
      }
    });

    input.addEventListener("keydown", function (event) {
      var shown = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!shown) {
          open();
          if (list.hidden) {
            return;
          }
        }
        var last = matches.length - 1;
        var next = event.key === "ArrowDown" ? (active >= last ? 0 : active + 1) : active <= 0 ? last : active - 1;
        highlight(next);
      } else if (event.key === "Enter" && (shown || input.value.trim())) {
        // Enter chooses; with words typed it never submits the form (that is 儲存's job).
        event.preventDefault();
        if (active >= 0) {
          add(matches[active]);
        } else if (matches.length === 1) {
          add(matches[0]);
        }
      } else if (event.key === "Escape" && (shown || input.value)) {
        event.preventDefault();
        input.value = "";
        close();
        message.textContent = "";
      }
    });

    // A tap or click on an option keeps the focus in the search box.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });

    box.addEventListener("focusout", function () {
      window.setTimeout(function () {
        if (!box.contains(document.activeElement)) {
          close();
        }
      }, 0);
    });

    // The error summary links to the select, which is now hidden: go to the search box.
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href='#" + select.id + "']") : null;
      if (link) {
        event.preventDefault();
        input.focus();
      }
    });

    drawChips();
  }

  function init() {
    var selects = document.querySelectorAll("select[multiple][data-picker]");
    for (var i = 0; i < selects.length; i += 1) {
      setup(selects[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
