// «Пригласить друга»: the copy button puts the link on the clipboard (or selects it where the clipboard is closed).
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.querySelector(button.getAttribute("data-copy"));
      var done = document.querySelector("[data-copied]");
      var shown = function () { if (done) { done.classList.remove("d-none"); } };
      field.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(shown, function () { document.execCommand("copy"); shown(); });
      } else {
        document.execCommand("copy");
        shown();
      }
    });
  });
})();
