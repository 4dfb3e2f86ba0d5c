// Live pages (Today, the wall screen): fetch the page again every few seconds and swap in the
// new main content, without reloading (no flicker, focus and scroll kept; a refresh meta tag
// would fail WCAG 2.2.1). The delay comes from the script tag's data-every attribute.
(function () {
  var every = (parseInt(document.currentScript.dataset.every, 10) || 10) * 1000;
  setInterval(function () {
    fetch(location.href, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("contenu");
        var main = document.getElementById("contenu");
        if (fresh && main) { main.innerHTML = fresh.innerHTML; }
      })
      .catch(function () {});
  }, every);
})();
