// Profile: the newsletter switch saves itself with fetch(); without JS the form's own button submits it.
(function () {
  "use strict";
  const form = document.getElementById("newsletter-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  const box = document.getElementById("newsletter-switch");
  const status = document.getElementById("newsletter-status");

  box.addEventListener("change", async () => {
    const body = new FormData(form);
    if (!box.checked) body.delete("subscribed");
    box.disabled = true;
    status.className = "small mt-2 text-secondary";
    status.textContent = "Сохраняем…";
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      if (!response.ok || !data.ok) throw new Error(data.message || "error");
      box.checked = data.subscribed;
      status.className = "small mt-2 text-success";
      status.textContent = data.message;
    } catch (e) {
      box.checked = !box.checked;
      status.className = "small mt-2 text-danger";
      status.textContent = "Не удалось сохранить. Проверьте соединение и попробуйте ещё раз.";
    } finally {
      box.disabled = false;
    }
  });
})();
