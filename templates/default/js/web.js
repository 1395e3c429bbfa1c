/* masthead's web edition: the reader's controls, and notes that open in place.
   Read in the head, so the chosen type size and colours apply before the page is shown; the
   controls are wired once the page is read. Nothing here is needed to read: without it the
   controls stay hidden, the colours follow the system's, and a note's number links to the
   note. No request leaves the page; choices are kept in localStorage (it works from files). */
(function () {
  "use strict";
  var root = document.documentElement;
  var SIZES = [-2, -1, 0, 1, 2, 3]; /* steps of css/web.css's html[data-size] */
  var THEMES = ["light", "sepia", "dark"];
  function load(key) { try { return window.localStorage.getItem("masthead-" + key); } catch (e) { return null; } }
  function save(key, value) { try { window.localStorage.setItem("masthead-" + key, value); } catch (e) { /* private mode */ } }

  var size = parseInt(load("size") || "0", 10);
  if (SIZES.indexOf(size) < 0) size = 0;
  var theme = load("theme");
  if (THEMES.indexOf(theme) < 0) theme = null;
  function applySize() { if (size) root.setAttribute("data-size", String(size)); else root.removeAttribute("data-size"); }
  function applyTheme() { if (theme) root.setAttribute("data-theme", theme); else root.removeAttribute("data-theme"); }
  applySize();
  applyTheme();

  function shown() { /* the colours on screen: the chosen, or the system's */
    if (theme) return theme;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function wire() {
    var controls = document.querySelector(".reader-controls");
    if (controls) {
      var sizeButtons = controls.querySelectorAll("[data-size-step]");
      var themeButtons = controls.querySelectorAll("[data-theme-choice]");
      var status = controls.querySelector(".share-status");
      var timer = null;
      var refresh = function () {
        sizeButtons.forEach(function (b) {
          var next = size + parseInt(b.getAttribute("data-size-step"), 10);
          b.disabled = SIZES.indexOf(next) < 0;
        });
        var current = shown();
        themeButtons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-theme-choice") === current)); });
      };
      sizeButtons.forEach(function (b) {
        b.addEventListener("click", function () {
          var next = size + parseInt(b.getAttribute("data-size-step"), 10);
          if (SIZES.indexOf(next) < 0) return;
          size = next; save("size", String(size)); applySize(); refresh();
        });
      });
      themeButtons.forEach(function (b) {
        b.addEventListener("click", function () {
          theme = b.getAttribute("data-theme-choice"); save("theme", theme); applyTheme(); refresh();
        });
      });
      if (window.matchMedia) {
        var query = window.matchMedia("(prefers-color-scheme: dark)");
        if (query.addEventListener) query.addEventListener("change", refresh);
      }
      var tell = function (text) {
        status.textContent = text;
        clearTimeout(timer);
        timer = setTimeout(function () { status.textContent = ""; }, 5000);
      };
      var copy = function (url) {
        var fallback = function () {
          var field = document.createElement("textarea");
          field.value = url; field.setAttribute("readonly", ""); field.className = "visually-hidden";
          document.body.appendChild(field); field.select();
          var done = false;
          try { done = document.execCommand("copy"); } catch (e) { done = false; }
          document.body.removeChild(field);
          tell(controls.getAttribute(done ? "data-copied" : "data-copy-failed"));
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(url).then(function () { tell(controls.getAttribute("data-copied")); }, fallback);
        } else fallback();
      };
      controls.querySelector(".share-button").addEventListener("click", function () {
        var url = window.location.href.split("#")[0];
        if (navigator.share) {
          navigator.share({ title: document.title, url: url }).catch(function (e) { if (e && e.name !== "AbortError") copy(url); });
        } else copy(url);
      });
      refresh();
      controls.hidden = false;
    }
    /* A note's number opens its note in place (a popover); the link to the list is what a
       browser without popovers, or without this script, follows. */
    document.querySelectorAll("a[data-note]").forEach(function (link) {
      var pop = document.getElementById(link.getAttribute("data-note"));
      if (!pop || typeof pop.showPopover !== "function") return;
      if (!pop.hasAttribute("data-wired")) {
        pop.setAttribute("data-wired", "");
        pop.querySelectorAll("a").forEach(function (a) { a.addEventListener("click", function () { pop.hidePopover(); }); });
      }
      link.addEventListener("click", function (event) {
        event.preventDefault();
        pop.showPopover();
        var first = pop.querySelector("a, button");
        if (first) first.focus();
        var back = function (e) {
          if (e.newState === "closed") { pop.removeEventListener("toggle", back); link.focus(); }
        };
        pop.addEventListener("toggle", back);
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
