// Calls from the machines, on the Today page and the wall screen: the list is fetched every
// second and drawn again when it changes; a new call rings (three short tones) when the
// facilitator has allowed sound on this browser (a box to tick: browsers only play sound
// after a click on the page).
(function () {
  "use strict";
  var box = document.getElementById("calls");
  if (!box) { return; }
  var list = document.getElementById("calls-list");
  var none = document.getElementById("calls-none");
  var sound = document.getElementById("calls-sound");
  var known = null, audio = null, drawn = "";
  var KEY = "fablab-calls-sound";

  function time(iso) {
    return new Date(iso).toLocaleTimeString(box.dataset.lang, {
      hour: "2-digit", minute: "2-digit", timeZone: box.dataset.tz
    });
  }

  function ring() {
    if (!sound.checked) { return; }
    if (!audio) { audio = new (window.AudioContext || window.webkitAudioContext)(); }
    [0, 0.35, 0.7].forEach(function (start) {
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, audio.currentTime + start);
      gain.gain.setValueAtTime(0, audio.currentTime + start + 0.2);
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + start);
      tone.stop(audio.currentTime + start + 0.25);
    });
  }

  function item(call) {
    var li = document.createElement("li");
    li.className = "call";
    li.dataset.id = call.id;
    var name = document.createElement("strong");
    name.textContent = call.machine;
    li.append(name);
    if ("person" in call) { li.append(" · " + (call.person || box.dataset.someone)); }
    li.append(" · " + box.dataset.since + " " + time(call.at) + " ");
    if (call.seen_url) {
      var form = document.createElement("form");
      form.method = "post";
      form.className = "inline";
      form.action = call.seen_url + "?retour=" + encodeURIComponent(box.dataset.back);
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = box.dataset.csrf;
      var button = document.createElement("button");
      button.type = "submit";
      button.textContent = box.dataset.seen;
      form.append(token, button);
      li.append(form);
    }
    return li;
  }

  function draw(calls) {
    var text = JSON.stringify(calls);
    if (text === drawn) { return; }
    drawn = text;
    var ids = calls.map(function (call) { return call.id; });
    var fresh = known !== null && ids.some(function (id) { return known.indexOf(id) < 0; });
    known = ids;
    list.replaceChildren.apply(list, calls.map(item));
    none.hidden = calls.length > 0;
    box.classList.toggle("ringing", calls.length > 0);
    if (fresh) { ring(); }
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { draw(data.calls); } })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1000); });
  }

  sound.checked = localStorage.getItem(KEY) === "1";
  sound.addEventListener("change", function () {
    localStorage.setItem(KEY, sound.checked ? "1" : "0");
    if (sound.checked) { ring(); }  // the click lets the page play sound; and a sample of it
  });
  document.addEventListener("click", function () { if (audio) { audio.resume(); } });
  known = Array.prototype.map.call(list.children, function (li) { return Number(li.dataset.id); });
  poll();
})();
