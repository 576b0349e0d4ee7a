// The code page works without this file. With it: the code fills itself in
// from the SMS where the browser supports WebOTP, the "Send a new code"
// note counts down the cooldown, and news of the SMS (delivered, or not
// deliverable) shows up without a reload.
"use strict";

(function () {
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
  var timer = null;
  if (note) {
    var left = parseInt(note.getAttribute("data-cooldown"), 10);
    timer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        note.textContent = "Didn't get it? You can ask for a new code now.";
      } else {
        note.textContent = "Didn't get it? You can ask for a new code in " + left +
          (left === 1 ? " second." : " seconds.");
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
              resend.textContent = "Didn't get it? We can send the code again.";
            }
          }
        })
        .catch(function () { clearInterval(poll); });
    }, 3000);
  }
})();
