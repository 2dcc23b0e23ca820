// Progressive enhancement only: every page works without it.
// A pressed button is disabled until the answer comes, so one click sends one request.
document.addEventListener("submit", function (event) {
  var buttons = event.target.querySelectorAll("button[type=submit]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].disabled = true;
    if (buttons[i].classList.contains("process")) { buttons[i].textContent = "Processing…"; }
  }
});
