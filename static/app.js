// Loaded after htmx (both deferred). All script lives in static files: the CSP allows no inline code.
if (window.htmx) {
  // htmx would otherwise inject a <style> element for its indicators, which the CSP forbids.
  window.htmx.config.includeIndicatorStyles = false;
  // Never evaluate <script> tags or inline handlers found in swapped content.
  window.htmx.config.allowScriptTags = false;
  window.htmx.config.allowEval = false;
}
