// Home-page banners: Bootstrap's own carousel (served locally), ready for the keyboard from the start.
// Without this Bootstrap builds the carousel on the first click only, so arrow keys would do nothing before it.
(function () {
  "use strict";
  if (!window.bootstrap) return;
  document.querySelectorAll(".home-banners.carousel").forEach(function (element) {
    window.bootstrap.Carousel.getOrCreateInstance(element, { ride: false, interval: false, keyboard: true });
  });
})();
