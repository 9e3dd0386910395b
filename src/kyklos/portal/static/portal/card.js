// The card form of the pay page and of "Cards and automatic payment" (Stripe.js).
// The card number goes from Stripe's card element to Stripe only; the page posts back
// the id of the confirmed SetupIntent. A payment that needs 3-D Secure is finished here
// with confirmCardPayment, then the browser goes to the return page, which asks Stripe.
(function () {
  "use strict";
  var box = document.querySelector("[data-stripe-key]");
  if (!box || typeof Stripe === "undefined") {
    return;
  }
  var stripe = Stripe(box.dataset.stripeKey);
  var errors = document.getElementById("card-errors");
  var show = function (text) {
    errors.textContent = text || box.dataset.failed;
    errors.hidden = false;
  };

  if (box.dataset.intentSecret) {
    stripe.confirmCardPayment(box.dataset.intentSecret).then(function (result) {
      if (result.error) {
        show(result.error.message);
      }
      window.location.assign(box.dataset.returnUrl);
    });
    return;
  }

  var form = document.getElementById("card-form");
  if (!form || !box.dataset.setupSecret) {
    return;
  }
  var card = stripe.elements().create("card", { hidePostalCode: true });
  card.mount("#card-element");
  var button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", function (event) {
    if (form.elements.setup_intent.value) {
      return; // confirmed: send it
    }
    event.preventDefault();
    button.disabled = true;
    errors.hidden = true;
    stripe
      .confirmCardSetup(box.dataset.setupSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          show(result.error.message);
          button.disabled = false;
          return;
        }
        form.elements.setup_intent.value = result.setupIntent.id;
        form.submit();
      });
  });
})();
