// CampusDesk progressive enhancement: show <time datetime> in local time with a relative hint, and "Copy link".
// Loaded as a static file (the CSP forbids inline scripts); the pages work without it.
(function () {
  "use strict";
  var units = [
    ["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["week", 7 * 24 * 3600],
    ["day", 24 * 3600], ["hour", 3600], ["minute", 60], ["second", 1]
  ];
  var relative = typeof Intl !== "undefined" && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
  var absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function describe(date) {
    var seconds = Math.round((date.getTime() - Date.now()) / 1000);
    if (!relative) { return ""; }
    if (Math.abs(seconds) < 45) { return "just now"; }
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(seconds) >= units[i][1] || units[i][0] === "second") {
        return relative.format(Math.round(seconds / units[i][1]), units[i][0]);
      }
    }
    return "";
  }

  function enhance(root) {
    var nodes = (root || document).querySelectorAll("time[datetime]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var date = new Date(node.getAttribute("datetime"));
      if (isNaN(date.getTime())) { continue; }
      if (!node.dataset.utc) { node.dataset.utc = node.textContent; }
      node.textContent = absolute.format(date) + " (" + describe(date) + ")";
      node.title = node.dataset.utc;
    }
  }

  // "Copy link" buttons (hidden until this script shows them; the link is also plain selectable text).
  function copyButtons(root) {
    var buttons = (root || document).querySelectorAll("button[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      if (button.dataset.ready) { continue; }
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", copyFrom);
    }
  }

  function copyFrom(event) {
    var button = event.currentTarget;
    var source = document.getElementById(button.dataset.copyTarget);
    var status = button.parentNode.querySelector(".copy-status");
    if (!source) { return; }
    function said(text) { if (status) { status.textContent = text; } }
    source.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.value).then(
        function () { said("Link copied."); },
        function () { said("Press Ctrl+C (or ⌘+C) to copy the selected link."); }
      );
    } else {
      said(document.execCommand && document.execCommand("copy") ? "Link copied." : "Press Ctrl+C (or ⌘+C) to copy the selected link.");
    }
  }

  function start() {
    enhance(document);
    copyButtons(document);
    if (window.htmx) { window.htmx.onLoad(function (element) { enhance(element); copyButtons(element); }); }
    window.setInterval(function () { enhance(document); }, 60000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
