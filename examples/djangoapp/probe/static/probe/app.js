// Marks the page as scripted, so a human can see the static files load.
document.addEventListener("DOMContentLoaded", () => {
  document.body.dataset.probe = "ready";
});
