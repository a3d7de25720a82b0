// Small form behaviours without inline handlers (the Content-Security-Policy allows no inline
// event attributes): <form data-confirm="…"> asks before it is sent; <select data-autosubmit>
// sends its form when changed.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
}, true);
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
});
