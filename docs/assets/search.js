/*
 * The handbook's search box: Pagefind (one record per section, one index per language, loaded in
 * fragments) behind Material's search markup (overrides/partials/search.html).
 *
 * - It searches on `input` events and when an input method commits its text (`compositionend`),
 *   never in the middle of a composition, so Chinese typed with an IME is searched as typed.
 * - Chinese is matched by pairs of characters, encoded exactly as buildtools/search_index.py
 *   encodes the index, so no word segmenter can split a query differently from the pages.
 * - Ranking: sections holding the query as typed (a pasted error message, 断点续训) first, then
 *   sections holding every word, then sections holding some of them, each by Pagefind's score.
 * - Only the page's own language is searched: each language has its own index.
 * The page exposes window.handbookSearch (results, query, searched, encode) for its tests.
 */
(function () {
  "use strict";
  var MAX_RESULTS = 10;
  var HAN = /[\u3400-\u4dbf\u4e00-\u9fff]+/g;

  function hex(text) {
    return Array.prototype.map.call(text, function (c) {
      return ("000" + c.charCodeAt(0).toString(16)).slice(-4);
    }).join("");
  }

  // A query's Chinese runs as the index has them: pairs of characters (a lone character stays one)
  function encode(query) {
    return query.replace(HAN, function (run) {
      if (run.length === 1) return " z" + hex(run) + " ";
      var tokens = [];
      for (var i = 0; i < run.length - 1; i++) tokens.push("z" + hex(run.slice(i, i + 2)));
      return " " + tokens.join(" ") + " ";
    }).replace(/\s+/g, " ").trim();
  }

  // The words a reader sees in the text: Chinese runs and Latin words, for excerpts and marks
  function terms(query) {
    return query.toLowerCase().split(/[\s"'`()[\]{}<>,;:!?]+/).filter(function (t) { return t.length > 0; });
  }

  function escapeHtml(text) {
    return text.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }

  function excerpt(body, query) {
    var lower = body.toLowerCase(), words = terms(query), at = -1;
    var whole = lower.indexOf(query.toLowerCase());
    at = whole >= 0 ? whole : words.reduce(function (best, w) {
      var i = lower.indexOf(w);
      return i >= 0 && (best < 0 || i < best) ? i : best;
    }, -1);
    var start = Math.max(0, at - 60), end = Math.min(body.length, (at < 0 ? 0 : at) + 140);
    var text = (start > 0 ? "…" : "") + body.slice(start, end) + (end < body.length ? "…" : "");
    var html = escapeHtml(text);
    words.concat(whole >= 0 ? [query] : []).sort(function (a, b) { return b.length - a.length; })
      .forEach(function (w) {
        var pattern = new RegExp("(" + escapeHtml(w).replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + ")", "gi");
        html = html.replace(pattern, function (m, g, offset, all) {
          return /<mark>[^<]*$/.test(all.slice(0, offset)) ? m : "<mark>" + m + "</mark>";
        });
      });
    return html;
  }

  function start() {
    var root = document.querySelector("[data-handbook-search]");
    if (!root) return;
    var input = root.querySelector(".md-search__input");
    var toggle = document.getElementById("__search");
    var list = root.querySelector(".md-search-result__list");
    var meta = root.querySelector(".md-search-result__meta");
    var placeholder = meta.textContent;
    var scriptUrl = new URL(root.getAttribute("data-pagefind"), location.href);
    var siteRoot = new URL("..", scriptUrl).pathname;
    var loading = null, timer = null, latest = 0;
    var state = { query: "", results: [], searched: null };

    function pagefind() {
      if (!loading) {
        loading = import(scriptUrl.href).then(function (pf) {
          // a long section is not much worse a match than a short one
          return pf.options({ ranking: { pageLength: 0.3 } }).then(function () { return pf; });
        });
      }
      return loading;
    }

    function open() { if (toggle) toggle.checked = true; pagefind(); }
    function close() { if (toggle) toggle.checked = false; input.blur(); }

    // Results of several searches, best tier first; within a tier by score; each record once
    function merge(tiers) {
      var seen = {}, out = [];
      tiers.forEach(function (results) {
        results.slice().sort(function (a, b) { return b.score - a.score; }).forEach(function (r) {
          if (!seen[r.id]) { seen[r.id] = true; out.push(r); }
        });
      });
      return out;
    }

    // Some of the words: the sum of each word's score, for sections that hold only part of a query
    function anyOf(found) {
      var byId = {};
      found.forEach(function (f) {
        f.results.forEach(function (r) {
          var e = byId[r.id] || (byId[r.id] = { id: r.id, score: 0, data: r.data });
          e.score += r.score;
        });
      });
      return Object.keys(byId).map(function (k) { return byId[k]; });
    }

    function render(results) {
      list.textContent = "";
      var n = results.length;
      meta.textContent = !state.query ? placeholder :
        n === 0 ? root.getAttribute("data-none") :
        n === 1 ? root.getAttribute("data-one") : root.getAttribute("data-other").replace("#", n);
      results.forEach(function (r) {
        var item = document.createElement("li");
        item.className = "md-search-result__item";
        var link = document.createElement("a");
        link.className = "md-search-result__link";
        link.href = r.url;
        var article = document.createElement("article");
        article.className = "md-search-result__article md-typeset";
        var title = document.createElement("h1");
        title.textContent = r.title;
        article.appendChild(title);
        if (r.title !== r.page) {
          var where = document.createElement("p");
          where.className = "handbook-search-page";
          where.textContent = r.page;
          article.appendChild(where);
        }
        var text = document.createElement("p");
        text.innerHTML = r.excerpt;  // the section's own text, escaped, with <mark> around the query
        article.appendChild(text);
        link.appendChild(article);
        item.appendChild(link);
        list.appendChild(item);
      });
    }

    function search() {
      var query = input.value.trim(), ticket = ++latest;
      state.query = query;
      if (!query) { state.results = []; render([]); state.searched = query; return; }
      var encoded = encode(query), words = encoded.split(" ");
      pagefind().then(function (pf) {
        var searches = [pf.search(encoded)];
        if (words.length > 1) {
          searches.push(pf.search('"' + encoded + '"'));
          words.forEach(function (w) { searches.push(pf.search(w)); });
        }
        return Promise.all(searches);
      }).then(function (found) {
        var all = found[0].results, scoreOf = {};
        all.forEach(function (r) { scoreOf[r.id] = r.score; });
        // Pagefind scores every exact-phrase match 1: rank them by how well they match the words
        var exact = (found[1] ? found[1].results : []).map(function (r) {
          return { id: r.id, score: scoreOf[r.id] || 0, data: r.data };
        });
        var some = found.length > 2 ? anyOf(found.slice(2)) : [];
        var best = merge([exact, all, some]).slice(0, MAX_RESULTS);
        return Promise.all(best.map(function (r) { return r.data(); }));
      }).then(function (records) {
        if (ticket !== latest) return;  // a newer query is on its way
        state.results = records.map(function (d) {
          // the section's address, from the site's root wherever the site is served
          return { url: siteRoot + d.meta.target.replace(/^\//, ""), title: d.meta.title, page: d.meta.page,
                   excerpt: excerpt(d.meta.body || "", query) };
        });
        render(state.results);
        state.searched = query;
      }).catch(function () {
        if (ticket === latest) meta.textContent = root.getAttribute("data-failed");
      });
    }

    function schedule() { clearTimeout(timer); timer = setTimeout(search, 80); }

    input.addEventListener("focus", open);
    input.addEventListener("input", function (event) { if (!event.isComposing) schedule(); });
    input.addEventListener("compositionend", schedule);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && state.results.length) { location.href = list.querySelector("a").href; }
      else if (event.key === "ArrowDown" && state.results.length) {
        event.preventDefault(); list.querySelector("a").focus();
      }
    });
    list.addEventListener("keydown", function (event) {
      var links = Array.prototype.slice.call(list.querySelectorAll("a"));
      var i = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && i < links.length - 1) { event.preventDefault(); links[i + 1].focus(); }
      else if (event.key === "ArrowUp") { event.preventDefault(); (i > 0 ? links[i - 1] : input).focus(); }
      else if (event.key === "Escape") { close(); }
    });
    list.addEventListener("click", function (event) { if (event.target.closest("a")) close(); });
    root.querySelector("button[type=reset]").addEventListener("click", function () {
      input.value = ""; schedule(); input.focus();
    });
    document.addEventListener("keydown", function (event) {
      var typing = /^(INPUT|TEXTAREA|SELECT)$/.test((document.activeElement || {}).tagName || "");
      if (!typing && (event.key === "/" || event.key === "s")) { event.preventDefault(); input.focus(); }
    });
    window.handbookSearch = {
      results: function () { return state.results; },
      query: function () { return state.query; },
      searched: function () { return state.searched; },  // the query whose results are shown
      encode: encode,
    };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
