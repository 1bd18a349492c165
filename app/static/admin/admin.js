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

// A form that changes money (e.g. «Вернуть позицию»): ask with its data-confirm text before it is sent.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();

// The Markdown toolbar over the content editors' text fields (<textarea data-markdown>): bold, italic,
// headings, lists, links, tables and images from the library. The buttons' definitions come from the server
// (app/services/content/toolbar.py) in <div data-markdown-toolbar>, so the browser writes what the tests check.
(function () {
  var holder = document.querySelector("[data-markdown-toolbar]");
  if (!holder) return;
  var config = JSON.parse(holder.getAttribute("data-markdown-toolbar"));

  function apply(action, selected) {
    var text = selected || action.placeholder;
    var body;
    if (action.per_line) {
      body = text.split("\n").map(function (line) { return action.before + line; }).join("\n");
    } else {
      body = action.before + text + action.after;
    }
    return action.block ? "\n\n" + body + "\n\n" : body;
  }

  function replaceSelection(area, text) {
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = start;
    area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.querySelectorAll("textarea[data-markdown]").forEach(function (area) {
    var bar = document.createElement("div");
    bar.className = "btn-toolbar markdown-toolbar";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", "Оформление текста");
    var group = document.createElement("div");
    group.className = "btn-group btn-group-sm";
    config.actions.forEach(function (action) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-default";
      button.title = action.label;
      button.setAttribute("aria-label", action.label);
      button.setAttribute("data-markdown-action", action.key);
      var icon = document.createElement("i");
      icon.className = "fa " + action.icon;
      button.appendChild(icon);
      button.addEventListener("click", function () {
        replaceSelection(area, apply(action, area.value.slice(area.selectionStart, area.selectionEnd)));
      });
      group.appendChild(button);
    });
    bar.appendChild(group);
    if (config.images.length) {
      var select = document.createElement("select");
      select.className = "form-control input-sm markdown-images";
      select.setAttribute("aria-label", "Вставить изображение из библиотеки");
      var first = document.createElement("option");
      first.value = "";
      first.textContent = "Вставить изображение…";
      select.appendChild(first);
      config.images.forEach(function (image) {
        var option = document.createElement("option");
        option.value = image.markdown;
        option.textContent = image.label;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        if (!select.value) return;
        replaceSelection(area, "\n\n" + select.value + "\n\n");
        select.value = "";
      });
      bar.appendChild(select);
    }
    area.parentNode.insertBefore(bar, area);
  });
})();
