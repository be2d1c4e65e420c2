// Progressive enhancement only: every page works without this file.
(function () {
  function localize(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSwap", function (e) { localize(e.target); });
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
