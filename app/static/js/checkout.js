// Checkout: ordering for a company switches payment to bank transfer by invoice and offers its addresses.
(function () {
  "use strict";
  const select = document.getElementById("company_id");
  const address = document.getElementById("delivery_address");
  const blocks = document.querySelectorAll(".company-addresses");

  function showAddresses() {
    const chosen = select ? select.value : "";
    blocks.forEach((block) => { block.hidden = block.dataset.company !== chosen; });
  }

  if (select) {
    select.addEventListener("change", () => {
      if (select.value) {
        const invoice = document.getElementById("payment-invoice");
        if (invoice) invoice.checked = true;
      }
      showAddresses();
    });
  }
  document.querySelectorAll(".js-fill-address").forEach((button) => {
    button.addEventListener("click", () => {
      if (!address) return;
      address.value = button.dataset.address;
      const courier = document.getElementById("delivery-courier");
      const pickup = document.getElementById("delivery-pickup");
      if (courier && pickup && pickup.checked) courier.checked = true;
      address.focus();
    });
  });
  showAddresses();
})();
