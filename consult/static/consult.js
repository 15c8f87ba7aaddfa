// consult: the only script besides htmx. No inline script anywhere (CSP: script-src 'self').
// 1. Send the CSRF token (from <meta name="csrf-token">) with every htmx request.
// 2. After an htmx swap, move keyboard focus to an element marked data-autofocus inside the new content.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) {
    event.detail.headers["X-CSRFToken"] = meta.getAttribute("content");
  }
});
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.elt;
  var focus = target && target.querySelector ? target.querySelector("[data-autofocus]") : null;
  if (!focus && target && target.hasAttribute && target.hasAttribute("data-autofocus")) {
    focus = target;
  }
  if (focus) {
    focus.focus();
  }
});
