// Checkout: ordering for a company switches payment to invoice and shows its addresses; the address block
// appears only for delivery, and the new-address fields only when "Новый адрес" is chosen.
(function () {
  "use strict";
  const form = document.getElementById("checkout-form");
  if (!form) return;
  const company = document.getElementById("company_id");
  const block = document.getElementById("address-block");
  const fresh = document.getElementById("new-address");

  function update() {
    const chosenCompany = company ? company.value : "";
    form.querySelectorAll(".company-addresses").forEach((group) => {
      const visible = group.dataset.company === chosenCompany;
      group.hidden = !visible;
      if (!visible) {
        group.querySelectorAll("input:checked").forEach((input) => { input.checked = false; });
      }
    });
    if (block) {
      const delivery = form.querySelector("input[name=delivery_method]:checked");
      block.classList.toggle("d-none", !delivery || delivery.value === "pickup");
    }
    if (fresh) {
      const chosen = form.querySelector("input[name=address_id]:checked");
      const hiddenNew = form.querySelector("input[type=hidden][name=address_id]");
      fresh.classList.toggle("d-none", !hiddenNew && (!chosen || chosen.value !== "new"));
    }
  }

  if (company) {
    company.addEventListener("change", () => {
      if (company.value) {
        const invoice = document.getElementById("payment-invoice");
        if (invoice) invoice.checked = true;
      }
      update();
    });
  }
  let asked = 0;  // only the answer to the latest question updates the page
  async function refreshTotals() {
    const mine = ++asked;
    const delivery = form.querySelector("input[name=delivery_method]:checked");
    const promo = form.querySelector("input[name=promo_code]");
    if (!delivery || !form.dataset.summaryUrl) return;
    const points = form.querySelector("input[name=points]");
    const params = new URLSearchParams({
      delivery_method: delivery.value,
      promo_code: promo ? promo.value : "",
      points: points ? points.value : "",
      company_id: company ? company.value : "",
    });
    try {
      const response = await fetch(form.dataset.summaryUrl + "?" + params.toString(), {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      const data = await response.json();
      if (mine !== asked || !data.ok) return;
      const set = (id, text) => { const el = form.querySelector(`[data-testid=${id}]`); if (el) el.textContent = text; };
      set("checkout-delivery", data.delivery);
      set("checkout-total", data.total);
      set("checkout-vat", data.vat);
      set("checkout-points", data.points);
      set("points-error", data.points_error);
      set("points-note", data.points_note);
      set("checkout-earn", data.earn);
      form.querySelectorAll(".points-row").forEach((el) => el.classList.toggle("d-none", !data.points));
      const earn = document.getElementById("earn-note");
      if (earn) earn.classList.toggle("d-none", !data.earn);
      if (points && points.type !== "hidden") {
        points.classList.toggle("is-invalid", Boolean(data.points_error));
        points.dataset.limit = data.points_limit;
        const button = document.getElementById("points-max");
        if (button) button.textContent = "Списать " + data.points_limit;
      }
    } catch (e) {
      // The totals are checked again when the order is placed; keep the page as it is.
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "delivery_method" || event.target.name === "address_id") update();
    if (["delivery_method", "company_id", "points"].includes(event.target.name)) refreshTotals();
  });
  // Points: the totals follow the typed amount (the server computes them), a button fills in the most allowed.
  let typing = null;
  form.addEventListener("input", (event) => {
    if (event.target.name !== "points") return;
    clearTimeout(typing);
    typing = setTimeout(refreshTotals, 300);
  });
  const most = document.getElementById("points-max");
  if (most) {
    most.addEventListener("click", () => {
      const input = document.getElementById("points");
      clearTimeout(typing);
      input.value = input.dataset.limit;
      refreshTotals();
    });
  }
  update();
})();
