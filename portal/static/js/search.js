/* The showcase's search page: loads Pagefind's index and interface only here, only when
   the page is opened. Without JavaScript the page points to the browse pages instead. */
(function () {
  "use strict";

  // The index holds Chinese one character at a time (portal/showcase/search.py): a query
  // is spaced the same way, and a one-word query asks for its characters in order.
  var HAN = "\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var hasHan = new RegExp("[" + HAN + "]", "u");
  var betweenHan = new RegExp("(?<=[" + HAN + "])(?=[" + HAN + "])", "gu");
  // A space the index put between two characters, also beside a highlight's tags
  // ("<mark>綠 </mark><mark>蠵 </mark>").
  var indexSpace = new RegExp("(?<=[" + HAN + "](?:</?mark>)*)\\s+(?=(?:</?mark>)*[" + HAN + "])", "gu");

  function searchTerm(query) {
    var words = query.trim().split(/\s+/).filter(Boolean);
    var spaced = words.map(function (word) { return word.replace(betweenHan, " "); });
    if (words.length === 1 && hasHan.test(words[0]) && words[0].indexOf('"') < 0) {
      return '"' + spaced[0] + '"';
    }
    return spaced.join(" ");
  }

  function unspace(text) {
    return typeof text === "string" ? text.replace(indexSpace, "") : text;
  }

  function shown(result) {
    result.meta.title = unspace(result.meta.title);
    result.excerpt = unspace(result.excerpt);
    (result.sub_results || []).forEach(function (sub) {
      sub.title = unspace(sub.title);
      sub.excerpt = unspace(sub.excerpt);
    });
    return result;
  }

  window.showcaseSearch = { term: searchTerm, unspace: unspace };

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
      autofocus: true,
      processTerm: searchTerm,
      processResult: shown
    });
    // Pagefind names its field by title only, which not every screen reader announces:
    // give it the page's heading as its label.
    var input = box.querySelector(".pagefind-ui__search-input");
    var heading = document.querySelector("h1");
    if (input && heading) {
      input.setAttribute("aria-label", heading.textContent.trim());
    }
    // The interface lists the filters that its first answer names, and an answer names
    // only those whose index files had already arrived: on a slow connection a filter went
    // missing until the next search. Load them all now, and search a query from the
    // address once they are in.
    var filtersLoaded = import(new URL(bundle + "pagefind.js", document.baseURI).href)
      .then(function (pagefind) { return pagefind.filters(); })
      .catch(function () { /* search anyway, with the filters that came */ });
    var query = new URLSearchParams(window.location.search).get("q");
    if (query) {
      filtersLoaded.then(function () { ui.triggerSearch(query); });
    }
  };
  script.onerror = function () {
    status.textContent = box.getAttribute("data-unavailable");
  };
  document.body.appendChild(script);
})();
