// The station's screen: draws what the agent publishes (server-sent events), keeps its
// timers ticking, returns to the state's screen when a passing one has been read, and goes
// dark after a quiet while (a touch or the next tap wakes it).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let after = null, holdTimer = null, blankTimer = null, shown = null;

  function two(n) { return String(n).padStart(2, "0"); }
  function clock(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? h + ":" + two(m) + ":" + two(s % 60) : m + ":" + two(s % 60);
  }
  function icon(element, name) { element.style.setProperty("--icon", 'url("/icons/' + name + '.svg")'); }

  function draw(view) {
    shown = view;
    const root = document.documentElement;
    root.lang = view.lang; root.dir = view.dir;
    document.body.dataset.tone = view.tone;
    document.body.dataset.code = view.code;
    icon($("icon"), view.icon);
    $("icon").setAttribute("aria-label", view.title);
    icon($("machine-icon"), view.machine_icon);
    $("machine").textContent = view.machine;
    $("title").textContent = view.title;
    $("sentence").textContent = view.sentence;
    $("next").textContent = view.next;
    $("step").hidden = !view.step;
    $("step").textContent = view.step || "";
    document.body.dataset.urgency = view.urgency || 0;
    facts(view.facts || []);
    buttons(view.actions || []);
    $("offline").hidden = !view.offline;
    $("offline-text").textContent = view.labels.offline;
    tick();
  }

  function facts(list) {
    const out = $("facts");
    out.replaceChildren();
    for (const fact of list) {
      const box = document.createElement("div");
      const term = document.createElement("dt"), value = document.createElement("dd");
      term.textContent = fact.label;
      value.textContent = fact.value;
      box.append(term, value);
      out.append(box);
    }
    out.hidden = list.length === 0;
  }

  // Big buttons: a touch is sent to the station, which answers with the next screen.
  function buttons(list) {
    const out = $("actions");
    out.replaceChildren();
    for (const action of list) {
      const button = document.createElement("button");
      const pictogram = document.createElement("span");
      pictogram.className = "pictogram";
      pictogram.setAttribute("aria-hidden", "true");
      icon(pictogram, action.icon);
      const label = document.createElement("span");
      label.textContent = action.label;
      button.append(pictogram, label);
      button.type = "button";
      button.dataset.action = action.id;
      button.addEventListener("click", () => touch(action.id, button));
      out.append(button);
    }
    out.hidden = list.length === 0;
  }

  function touch(action, button) {
    button.disabled = true;  // one touch, one answer
    fetch("/touch", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ action: action }),
    }).finally(() => setTimeout(() => { button.disabled = false; }, 1500));
  }

  function tick() {
    const view = shown, out = $("clock");
    if (!view) return;
    const now = Date.now();
    const parts = [];
    if (view.timer) {
      parts.push(view.labels.elapsed + " <bdi dir=\"ltr\">" + clock(now - view.timer.since) + "</bdi>");
      parts.push(view.labels.left + " <bdi dir=\"ltr\">" + clock(view.timer.until - now) + "</bdi>");
    } else if (view.countdown) {
      parts.push("<bdi dir=\"ltr\">" + clock(view.countdown - now) + "</bdi>");
    }
    out.hidden = parts.length === 0;
    out.innerHTML = parts.join(" · ");
  }

  function wake() {
    $("blank").hidden = true;
    clearTimeout(blankTimer);
    if (shown && shown.blank_after_ms && (shown.code === "idle" || shown.code === "out_of_service")) {
      blankTimer = setTimeout(() => { $("blank").hidden = false; }, shown.blank_after_ms);
    }
  }

  function receive(message) {
    after = message.after;
    clearTimeout(holdTimer);
    const view = message.view;
    if (view.hold_ms && view.shown_at) {
      const left = view.shown_at + view.hold_ms - Date.now();
      if (left > 0) {
        draw(view);
        holdTimer = setTimeout(() => { draw(after); wake(); }, left);
        wake();
        return;
      }
      draw(after);
    } else {
      draw(view);
    }
    wake();
  }

  const events = new EventSource("/events");
  events.onmessage = (event) => receive(JSON.parse(event.data));
  document.addEventListener("pointerdown", wake);
  setInterval(tick, 1000);
})();
