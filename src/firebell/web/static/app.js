// Progressive enhancement only: every page works without this file.
(function () {
  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
    });
  }
  // A deadline counts down (or up, once passed) every second: <span data-deadline="ISO">.
  function countdowns() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round((new Date(el.getAttribute("data-deadline")) - new Date()) / 1000);
      var s = Math.abs(left), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      var text = (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
      el.textContent = left >= 0 ? "due in " + text : "overdue by " + text;
      el.classList.toggle("overdue", left < 0);
    });
    // The next escalation: <span data-countdown="ISO"> reads "in 4m 12s", then "due now".
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.round((new Date(el.getAttribute("data-countdown")) - new Date()) / 1000);
      if (isNaN(left)) return;
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), sec = left % 60;
      el.textContent = left > 0 ? "in " + (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s" : "due now";
    });
  }
  // A filter that applies as soon as it is changed: <select data-autosubmit> (inline handlers are
  // refused by the Content-Security-Policy).
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
  setInterval(countdowns, 1000);
  document.addEventListener("DOMContentLoaded", function () { localize(document); countdowns(); });
  document.addEventListener("htmx:afterSwap", function (e) { localize(e.target); });
  // A live refresh asks for at least the version of the data it was told of (see /ui/stream).
  document.addEventListener("htmx:configRequest", function (e) {
    var t = e.detail.triggeringEvent;
    if (t && t.type === "sse:changed" && t.detail && t.detail.data) e.detail.parameters.v = t.detail.data;
  });
  // A live refresh turned away while the server is busy (503) is tried again when it says, so the
  // page does not stay behind until the next change.
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr, config = e.detail.requestConfig;
    if (!xhr || xhr.status !== 503 || !config || config.verb !== "get") return;
    var seconds = parseInt(xhr.getResponseHeader("Retry-After") || "1", 10) || 1;
    var target = e.detail.target;
    setTimeout(function () {
      if (document.body.contains(target)) htmx.ajax("GET", config.path, { target: target, swap: "innerHTML" });
    }, Math.min(seconds, 30) * 1000);
  });
  // Keyboard: a = acknowledge, r = resolve on an incident; g i / g a / g o / g s / g p / g d to move between pages.
  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") return;
    if (pendingG) {
      pendingG = false;
      var dest = { i: "/incidents", a: "/alerts", o: "/oncall", s: "/services", p: "/policies", d: "/deliveries" }[e.key];
      if (dest) { window.location = dest; }
      return;
    }
    if (e.key === "g") { pendingG = true; return; }
    var button = document.querySelector('button[data-key="' + e.key + '"]');
    if (!button) return;
    e.preventDefault();
    // A stray key must not end an incident: moves that do ask first (a click is deliberate).
    var question = button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    button.click();
  });
})();

// A button that cannot be undone asks first (data-ask holds the question); cancelling sends nothing.
document.addEventListener("submit", function (e) {
  var button = e.submitter;
  var question = button && button.getAttribute("data-ask");
  if (question && !window.confirm(question)) e.preventDefault();
});

// --- Escalation-policy form editor: add, remove and move levels and add targets in the page.
// Without this file each of those buttons asks the server, which shows the form again unsaved.
(function () {
  function renumber(box) {
    var levels = box.querySelectorAll("[data-level]");
    levels.forEach(function (level, i) {
      level.querySelector("[data-level-number]").textContent = i + 1;
      level.querySelectorAll("[name^='level-']").forEach(function (el) {
        el.name = el.name.replace(/^level-\d+-/, "level-" + i + "-");
      });
      level.querySelectorAll(".pf-targets select").forEach(function (el, t) {
        el.setAttribute("aria-label", "Level " + (i + 1) + " target " + (t + 1));
      });
      level.querySelectorAll("[data-level-op]").forEach(function (b) {
        var op = b.getAttribute("data-level-op");
        b.value = op + "-" + i;
        if (op === "up") b.disabled = i === 0;
        if (op === "down") b.disabled = i === levels.length - 1;
        if (op === "remove") b.disabled = levels.length === 1;
      });
    });
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-level-op]");
    if (!button || !button.form) return;
    var form = button.form, box = form.querySelector("[data-levels]"), op = button.getAttribute("data-level-op");
    var level = button.closest("[data-level]");
    e.preventDefault();
    if (op === "add") {
      var fresh = form.querySelector("template[data-level-template]").content.firstElementChild.cloneNode(true);
      box.appendChild(fresh);
      renumber(box);
      fresh.querySelector("select").focus();
      return;
    }
    if (op === "add-target") {
      var selects = level.querySelectorAll(".pf-targets select"), last = selects[selects.length - 1];
      var copy = last.cloneNode(true);
      copy.value = "";
      last.after(copy);
      renumber(box);
      copy.focus();
      return;
    }
    if (op === "remove") level.remove();
    if (op === "up" && level.previousElementSibling) box.insertBefore(level, level.previousElementSibling);
    if (op === "down" && level.nextElementSibling) box.insertBefore(level.nextElementSibling, level);
    renumber(box);
  });
})();
// --- end of the policy form editor

// --- People and integrations: copy buttons ---------------------------------------------------
// A button with data-copy="#id" copies that element's text (a one-time key or link) and says so.
document.addEventListener("click", function (e) {
  var button = e.target.closest && e.target.closest("button[data-copy]");
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  var text = source.textContent.trim();
  var said = function (word) {
    button.setAttribute("data-copied", word);
    button.textContent = word;
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { said("Copied"); }, function () { said("Select and copy"); });
  } else {
    // Plain http on another host: select the text so one key press copies it.
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    said(document.execCommand && document.execCommand("copy") ? "Copied" : "Selected: press Ctrl+C");
  }
});

// On a phone the navigation is one row that scrolls sideways: bring the current page's link into view.
document.addEventListener("DOMContentLoaded", function () {
  var nav = document.querySelector("header.top nav");
  var on = nav && nav.querySelector("a.on");
  if (on && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = on.offsetLeft - (nav.clientWidth - on.offsetWidth) / 2;
  }
});
