// Live price on the product page: asks the server's quote on every change, so both always agree.
(function () {
  "use strict";
  const form = document.getElementById("product-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  const total = document.getElementById("price-total");
  const earn = document.getElementById("price-earn");
  const unit = document.getElementById("price-unit");
  const error = document.getElementById("price-error");
  const mirrors = document.querySelectorAll("[data-price-mirror]");
  let seq = 0;

  function show(text) {
    total.textContent = text;
    mirrors.forEach((el) => { el.textContent = text; });
  }

  function query() {
    const params = new URLSearchParams();
    params.set("quantity", form.elements.quantity.value);
    form.querySelectorAll("input[name^=opt_]:checked").forEach((el) => params.append("option", el.value));
    return params;
  }

  async function refresh() {
    const mine = ++seq;
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.dataset.priceUrl + "?" + query().toString(), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      if (mine !== seq) return;
      if (data.ok) {
        show(data.total_label);
        unit.textContent = data.unit_price_label + " за штуку";
        error.textContent = "";
        total.dataset.amount = data.total;
        if (earn) earn.textContent = data.earn_label;
      } else {
        show("—");
        unit.textContent = "";
        error.textContent = data.error;
        total.dataset.amount = "";
        if (earn) earn.textContent = "";
      }
    } catch (e) {
      if (mine === seq) error.textContent = "Не удалось пересчитать цену. Проверьте соединение.";
    } finally {
      if (mine === seq) form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "layout") return;
    refresh();
  });
})();
