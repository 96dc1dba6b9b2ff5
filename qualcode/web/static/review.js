// qualcode review page: the terminal's keys in the browser. Plain JavaScript, no libraries.
// Every decision is a normal form POST (so the page also works by mouse, and without this
// script); the keys only tick boxes, choose from numbered lists and press the buttons.
(function () {
  "use strict";
  var form = document.getElementById("decide");
  var prompt = document.getElementById("prompt");
  var pending = null; // a numbered choice in progress: {options: [...], done: function(index)}

  function entries() {
    return Array.prototype.slice.call(document.querySelectorAll("#entries .entry"));
  }
  function click(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }
  function submitWith(action) {
    var button = form.querySelector('button[name="action"][value="' + action + '"]');
    if (button) { form.requestSubmit ? form.requestSubmit(button) : button.click(); }
  }
  function text(template, n) { return template.replace("N", String(n)); }

  function ask(template, labels, done) {
    // Show numbered options; the next key 1-9 picks one, any other key cancels.
    prompt.textContent = "";
    var head = document.createElement("p");
    head.textContent = text(template, labels.length);
    prompt.appendChild(head);
    var list = document.createElement("ol");
    labels.forEach(function (label) {
      var li = document.createElement("li");
      li.textContent = label;
      list.appendChild(li);
    });
    prompt.appendChild(list);
    prompt.hidden = false;
    pending = {count: labels.length, done: done};
  }
  function closePrompt() { pending = null; prompt.hidden = true; prompt.textContent = ""; }

  function optionLabels(select) {
    return Array.prototype.map.call(select.options, function (o) { return o.textContent; });
  }

  function changeDirection() {
    var list = entries();
    if (!list.length) { return; }
    var directions = optionLabels(list[0].querySelector("select"));
    function pickDirection(entry) {
      ask(prompt.dataset.pickDirection, directions, function (i) {
        var select = entry.querySelector("select");
        select.selectedIndex = i;
        select.dispatchEvent(new Event("change"));
      });
    }
    if (list.length === 1) { pickDirection(list[0]); return; }
    var labels = list.map(function (e) { return e.querySelector("strong").textContent + " → " +
      e.querySelector("select").selectedOptions[0].textContent; });
    ask(prompt.dataset.pickEntry, labels, function (i) { pickDirection(list[i]); });
  }

  function addEntry(code, codeLabel, direction, directionLabel) {
    var key = code + "|" + direction;
    var same = entries().filter(function (e) {
      return e.dataset.key === key || (e.dataset.key.split("|")[0] === code && e.querySelector("select").value === direction);
    });
    if (same.length) { same[0].querySelector('input[type="checkbox"]').checked = true; return; }
    var li = document.createElement("li");
    li.className = "entry added";
    li.dataset.key = key;
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "add"; box.value = key; box.checked = true;
    var kbd = document.createElement("kbd");
    var number = entries().length + 1;
    kbd.textContent = number <= 9 ? String(number) : "";
    var strong = document.createElement("strong");
    strong.textContent = codeLabel + " → " + directionLabel;
    label.appendChild(box); label.appendChild(kbd); label.appendChild(document.createTextNode(" "));
    label.appendChild(strong);
    li.appendChild(label);
    document.getElementById("entries").appendChild(li);
    var none = document.getElementById("no-codes");
    if (none) { none.hidden = true; }
  }

  function addCode() {
    var codes = document.getElementById("add-code");
    var directions = document.getElementById("add-direction");
    ask(prompt.dataset.pickCode, optionLabels(codes), function (c) {
      // The next choice is asked at once, so a fast typist's next key already answers it.
      ask(prompt.dataset.pickDirection, optionLabels(directions), function (d) {
        addEntry(codes.options[c].value, codes.options[c].textContent,
                 directions.options[d].value, directions.options[d].textContent);
      });
    });
  }

  function loadExplanation() {
    var details = document.getElementById("explain");
    if (!details || details.dataset.loaded) { return; }
    details.dataset.loaded = "1";
    fetch(details.dataset.src, {credentials: "same-origin"}).then(function (r) { return r.text(); })
      .then(function (t) { document.getElementById("explain-text").textContent = t; });
  }

  if (form) {
    // A changed direction ticks the entry, as in the terminal.
    form.addEventListener("change", function (ev) {
      if (ev.target.tagName === "SELECT" && ev.target.name.indexOf("dir:") === 0) {
        ev.target.closest(".entry").querySelector('input[type="checkbox"]').checked = true;
      }
    });
    document.getElementById("add-button").addEventListener("click", function () {
      var codes = document.getElementById("add-code");
      var directions = document.getElementById("add-direction");
      addEntry(codes.value, codes.selectedOptions[0].textContent, directions.value, directions.selectedOptions[0].textContent);
    });
    var details = document.getElementById("explain");
    details.addEventListener("toggle", function () { if (details.open) { loadExplanation(); } });
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var target = ev.target;
    var typing = target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type === "text"));
    if (typing) {
      if (ev.key === "Escape") { target.blur(); ev.preventDefault(); }
      else if (ev.key === "Enter" && !ev.shiftKey && target.id === "memo") {
        ev.preventDefault();
        var save = document.querySelector('#memo-form button[value="memo"]');
        document.getElementById("memo-form").requestSubmit(save);
      }
      return;
    }
    if (pending) {
      ev.preventDefault();
      var chosen = pending;
      closePrompt();
      var n = parseInt(ev.key, 10);
      if (n >= 1 && n <= chosen.count) { chosen.done(n - 1); }
      return;
    }
    var key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    if (!form) {
      var undoButton = document.querySelector("#undo-form button");
      if (key === "u" && undoButton && !undoButton.disabled) { ev.preventDefault(); undoButton.click(); }
      else if (key === "b") { var back = document.querySelector('[data-key="b"]'); if (back) { back.click(); } }
      return;
    }
    if (/^[1-9]$/.test(key)) {
      var entry = entries()[parseInt(key, 10) - 1];
      if (entry) { var box = entry.querySelector('input[type="checkbox"]'); box.checked = !box.checked; }
      ev.preventDefault();
      return;
    }
    var handled = true;
    switch (key) {
      case "a": submitWith("accept_all"); break;
      case "r": submitWith("reject_all"); break;
      case "Enter":
      case "n":
        if (target && target.tagName === "BUTTON" && target.form !== form) { handled = false; break; }
        submitWith("confirm"); break;
      case "s": click("skip"); break;
      case "b": click("back"); break;
      case "u": click("undo"); break;
      case "d": changeDirection(); break;
      case "c": addCode(); break;
      case "m": document.getElementById("memo").focus(); break;
      case "e":
        var details = document.getElementById("explain");
        details.open = !details.open; break;
      case "Escape": closePrompt(); break;
      default: handled = false;
    }
    if (handled) { ev.preventDefault(); }
  });
  document.body.dataset.keys = "ready"; // the keys work from now on (tests wait for this)
})();
