// The little the pages need beyond HTML: copy buttons, and live steps on a process page.
// Every page works without it.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent).then(() => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
});

// A process page follows the process's events (SSE) while it can still change, and
// swaps in the fresh page section after each one: steps appear as they commit.
(function follow() {
  const live = document.getElementById("process-live");
  if (!live || live.dataset.live !== "true" || !window.EventSource) return;
  const source = new EventSource(live.dataset.events);
  let pending = null;
  source.onmessage = source.onerror = null;
  const refresh = () => {
    if (pending) return;
    pending = fetch(window.location.pathname, { headers: { "Accept": "text/html" } })
      .then((answer) => answer.text())
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("process-live");
        const current = document.getElementById("process-live");
        if (fresh && current) {
          // Keep what the person is typing into a form that is still the same.
          if (current.querySelector("form#waiting-form, section.waiting form") && fresh.querySelector("section.waiting form")) {
            fresh.querySelector("section.waiting").replaceWith(current.querySelector("section.waiting"));
          }
          current.replaceWith(fresh);
          if (fresh.dataset.live !== "true") source.close();
        }
      })
      .finally(() => { pending = null; });
  };
  for (const kind of ["step_committed", "process_status", "subscription_changed", "process_created"]) {
    source.addEventListener(kind, refresh);
  }
})();
