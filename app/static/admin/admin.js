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

// «Отметить оплаченным»: say the amount and the day back and ask before recording the payment.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm-payment]");
    if (!form) return;
    var day = form.elements.paid_on.value.split("-").reverse().join(".");
    var text = form.getAttribute("data-confirm-payment")
      .replace("{amount}", form.elements.amount.value)
      .replace("{date}", day);
    if (!window.confirm(text)) event.preventDefault();
  });
})();
