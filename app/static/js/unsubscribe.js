// The newsletter's unsubscribe link: a person's browser confirms on its own, so one click is enough.
// Mail scanners and link previews fetch the page without running scripts and change nothing.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) {
    form.submit();
  }
})();
