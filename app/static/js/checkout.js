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
  form.addEventListener("change", (event) => {
    if (event.target.name === "delivery_method" || event.target.name === "address_id") update();
  });
  update();
})();
