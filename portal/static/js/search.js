/* The showcase's search page: loads Pagefind's index and interface only here, only when
   the page is opened. Without JavaScript the page points to the browse pages instead. */
(function () {
  "use strict";

  var box = document.getElementById("search");
  if (!box) {
    return;
  }
  var status = box.querySelector(".search-status");
  status.textContent = status.getAttribute("data-loading");
  // The site's root, from the page's own relative link to the home page ("../index.html"
  // once frozen): "/" or "/a/sub/path/".
  var root = new URL(box.getAttribute("data-root"), document.baseURI).pathname.replace(/[^/]*$/, "");
  var bundle = root + "pagefind/";

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = bundle + "pagefind-ui.css";
  document.head.appendChild(css);

  var script = document.createElement("script");
  script.src = bundle + "pagefind-ui.js";
  script.onload = function () {
    status.hidden = true;
    /* global PagefindUI */
    var ui = new PagefindUI({
      element: "#search-ui",
      baseUrl: root,
      bundlePath: bundle,
      showImages: false,
      showSubResults: false,
      autofocus: true
    });
    // Pagefind names its field by title only, which not every screen reader announces:
    // give it the page's heading as its label.
    var input = box.querySelector(".pagefind-ui__search-input");
    var heading = document.querySelector("h1");
    if (input && heading) {
      input.setAttribute("aria-label", heading.textContent.trim());
    }
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      ui.triggerSearch(query);
    }
  };
  script.onerror = function () {
    status.textContent = box.getAttribute("data-unavailable");
  };
  document.body.appendChild(script);
})();
