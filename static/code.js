// The code page works without this file. With it: the code fills itself in
// from the SMS where the browser supports WebOTP, and the "Send a new code"
// note counts down the cooldown.
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
  if (note) {
    var left = parseInt(note.getAttribute("data-cooldown"), 10);
    var timer = setInterval(function () {
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
})();
