// The pages work without this file. With it: a form that sends an SMS says
// "Sending…" and cannot be sent twice while Telnyx answers; the code fills
// itself in from the SMS where the browser supports WebOTP; the "Send a new
// code" note counts down the cooldown and the button comes back at its end;
// and news of the SMS (delivered, or not deliverable) shows up without a
// reload.
"use strict";

(function () {
  var sending = document.querySelectorAll("form[data-sending]");
  Array.prototype.forEach.call(sending, function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) { return; }
      // After this event the browser still submits the form.
      setTimeout(function () {
        button.setAttribute("data-label", button.textContent);
        button.disabled = true;
        button.textContent = form.getAttribute("data-sending");
        button.setAttribute("aria-busy", "true");
      }, 0);
    });
  });
  // Back to a page the browser kept whole: its buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(sending, function (form) {
      var button = form.querySelector("button[type=submit][aria-busy]");
      if (!button) { return; }
      button.disabled = false;
      button.textContent = button.getAttribute("data-label");
      button.removeAttribute("aria-busy");
    });
  });

  var input = document.getElementById("token");
  if (input && "OTPCredential" in window) {
    var abort = new AbortController();
    input.form.addEventListener("submit", function () { abort.abort(); });
    navigator.credentials
      .get({ otp: { transport: ["sms"] }, signal: abort.signal })
      .then(function (otp) {
        if (otp && otp.code) {
          input.value = otp.code;
          input.form.requestSubmit();
        }
      })
      .catch(function () { /* the user types the code instead */ });
  }

  var note = document.querySelector("[data-cooldown]");
  var resendButton = document.querySelector("form[action='/resend'] button");
  var timer = null;
  // "29 seconds" in the page's language: the page gives its words for each
  // plural category (data-seconds-one="{n} second", Arabic's data-seconds-two
  // ...) and the browser's Intl.PluralRules picks one, as the server does.
  var plural = null;
  try {
    plural = new Intl.PluralRules(document.documentElement.lang);
  } catch (e) { /* the page's own words stay */ }
  function duration(note, secs) {
    // The server's rounding: whole minutes from two minutes on.
    var unit = "seconds", n = secs;
    if (secs >= 120) { unit = "minutes"; n = Math.ceil(secs / 60); }
    else if (secs >= 60 && secs % 60 === 0) { unit = "minutes"; n = secs / 60; }
    var form = note.getAttribute("data-" + unit + "-" + plural.select(n)) ||
      note.getAttribute("data-" + unit + "-other");
    return form && form.replace("{n}", n);
  }
  if (note) {
    var left = parseInt(note.getAttribute("data-cooldown"), 10);
    var countdown = note.querySelector(".countdown");
    // A refusal ("Wait 29 seconds…") is said once and left alone, not
    // re-announced every second; the offer comes back when the wait is over.
    var refusal = note.classList.contains("error");
    timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        note.classList.remove("error");
        note.removeAttribute("role");
        note.textContent = note.getAttribute("data-ready");
        if (resendButton) { resendButton.disabled = false; }
      } else if (!refusal && countdown && plural) {
        var said = duration(note, left);
        if (said) { countdown.textContent = said; }
      }
    }, 1000);
  }

  // While the page is open and there is no final word yet, ask every few
  // seconds; stop at the first final word, an error, or after 15 minutes.
  var delivery = document.querySelector("[data-poll]");
  if (delivery && window.fetch) {
    var url = delivery.getAttribute("data-poll");
    var polls = 300;
    var poll = setInterval(function () {
      polls -= 1;
      if (polls <= 0) { clearInterval(poll); return; }
      if (document.visibilityState === "hidden") { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (status) {
          if (status.delivery === delivery.getAttribute("data-delivery")) { return; }
          delivery.setAttribute("data-delivery", status.delivery);
          delivery.textContent = status.message || "";
          if (status.delivery === "delivered" || status.delivery === "failed") {
            clearInterval(poll);
          }
          if (status.delivery === "failed" && status.resend_wait_secs === null) {
            if (timer) { clearInterval(timer); }
            var resend = document.getElementById("resend-note");
            if (resend) {
              resend.removeAttribute("data-cooldown");
              resend.textContent = resend.getAttribute("data-offer");
            }
            if (resendButton) { resendButton.disabled = false; }
          }
        })
        .catch(function () { clearInterval(poll); });
    }, 3000);
  }
})();
