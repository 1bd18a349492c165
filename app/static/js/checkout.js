// Checkout: the address block only for delivery, the new-address fields only when "Новый адрес" is chosen.
(function () {
  "use strict";
  const form = document.getElementById("checkout-form");
  const block = document.getElementById("address-block");
  const fresh = document.getElementById("new-address");
  if (!form || !block || !fresh) return;

  function update() {
    const delivery = form.querySelector("input[name=delivery_method]:checked");
    block.classList.toggle("d-none", !delivery || delivery.value === "pickup");
    const chosen = form.querySelector("input[name=address_id]:checked");
    const hiddenNew = form.querySelector("input[type=hidden][name=address_id]");
    fresh.classList.toggle("d-none", !hiddenNew && (!chosen || chosen.value !== "new"));
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "delivery_method" || event.target.name === "address_id") update();
  });
  update();
})();
