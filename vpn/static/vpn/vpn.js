// Ask before replacing the VPN password (no inline handlers: CSP-friendly).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.vpn-new-password").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
});
