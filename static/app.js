// Loaded after htmx (both deferred). All script lives in static files: the CSP allows no inline code.
if (window.htmx) {
  // htmx would otherwise inject a <style> element for its indicators, which the CSP forbids.
  window.htmx.config.includeIndicatorStyles = false;
  // Never evaluate <script> tags or inline handlers found in swapped content.
  window.htmx.config.allowScriptTags = false;
  window.htmx.config.allowEval = false;
}

// An htmx request that ends with nothing to show (no answer in time, no connection, an error
// status) says so instead of leaving the page as if nothing happened: the element named by the
// form's data-request-failed gets the form's data-timeout-text or data-error-text (as text only).
if (window.htmx) {
  const failed = (event) => {
    const form = event.detail?.elt?.closest?.("[data-request-failed]");
    const target = form && document.getElementById(form.dataset.requestFailed);
    if (!target) return;
    target.textContent = event.type === "htmx:timeout" ? form.dataset.timeoutText : form.dataset.errorText;
    target.hidden = false;
  };
  for (const name of ["htmx:timeout", "htmx:sendError", "htmx:responseError"]) {
    document.addEventListener(name, failed);
  }
  // A new attempt hides the last failure.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail?.elt?.closest?.("[data-request-failed]");
    const target = form && document.getElementById(form.dataset.requestFailed);
    if (target) target.hidden = true;
  });
}
