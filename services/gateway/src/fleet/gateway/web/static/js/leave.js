// A view with unsaved edits registers a guard; the router asks before leaving the view
// (and the browser before closing the tab) while the guard says there is something unsaved.

let guard = null;

/** `unsaved()` -> true while leaving would lose edits; null to drop the guard. */
export function setLeaveGuard(unsaved) {
  guard = unsaved;
}

/** True when the user may leave (nothing unsaved, or he agreed to lose it). */
export function mayLeave() {
  if (!guard || !guard()) return true;
  // eslint-disable-next-line no-alert -- the synchronous question a hashchange needs
  const leave = window.confirm("You have unsaved changes. Leave this page without saving them?");
  if (leave) guard = null;
  return leave;
}

window.addEventListener("beforeunload", (event) => {
  if (guard && guard()) event.preventDefault();
});
