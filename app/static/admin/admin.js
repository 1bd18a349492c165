// Buttons of the back office's own pages that run a Flask-AppBuilder action on one record
// (<button data-action-url="…/action/<name>/<pk>" data-confirm="…">): FAB's confirmation dialog, then a POST
// through the page's #action_form (with its CSRF token). One AdminActions for the page, so a cancelled
// dialog never submits later.
(function () {
  if (typeof AdminActions === "undefined") return;
  var pageActions = null;
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action-url]");
    if (!button) return;
    event.preventDefault();
    pageActions = pageActions || new AdminActions();
    pageActions.execute_single(button.getAttribute("data-action-url"), button.getAttribute("data-confirm") || false);
  });
})();
