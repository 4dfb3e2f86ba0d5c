// Live pages (Today, the wall screen): fetch the page again every few seconds and swap in the
// parts marked data-live (each by its id), without reloading: no flicker, focus, scroll and
// the rest of the page (a box ticked, a form being filled) kept; a refresh meta tag would
// fail WCAG 2.2.1. The delay comes from the script tag's data-every attribute.
(function () {
  var every = (parseInt(document.currentScript.dataset.every, 10) || 10) * 1000;
  setInterval(function () {
    fetch(location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live][id]").forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next && next.innerHTML !== part.innerHTML && !part.contains(document.activeElement)) {
            part.innerHTML = next.innerHTML;
          }
        });
      })
      .catch(function () {});
  }, every);
})();
