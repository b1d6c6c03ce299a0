// Toasts: short messages in a polite live region, so screen readers read them out too.
//
//   import { toast } from "./toast.js";
//   toast("Plugin enabled", { kind: "success" });
//   const dismiss = toast("Connection lost", { kind: "error", title: "Weather", timeout: 0 });
//
// kind: "info" | "success" | "warning" | "error". timeout in ms (0 keeps it until dismissed);
// hovering or focusing a toast pauses its timer. Errors are also announced assertively.

import { h, icon } from "./dom.js";

const ICONS = { info: "info", success: "online", warning: "degraded", error: "offline" };
const MAX_VISIBLE = 4;

function region() {
  let container = document.getElementById("toasts");
  if (!container) {
    container = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(container);
  }
  return container;
}

/** Show a toast; returns a function that dismisses it. */
export function toast(message, { kind = "info", title = "", timeout = 6000 } = {}) {
  const variant = ICONS[kind] ? kind : "info";
  const container = region();
  const item = h(
    "div",
    { class: `toast toast--${variant}`, role: variant === "error" ? "alert" : null },
    icon(ICONS[variant]),
    h("div", { class: "toast__body" }, title ? h("p", { class: "toast__title" }, title) : null, h("p", {}, message)),
  );
  let timer = null;
  const dismiss = () => {
    clearTimeout(timer);
    item.remove();
  };
  const arm = () => {
    clearTimeout(timer);
    if (timeout > 0) timer = setTimeout(dismiss, timeout);
  };
  const close = h("button", { class: "icon-btn", type: "button", "aria-label": "Dismiss notification" }, icon("close"));
  close.addEventListener("click", dismiss);
  item.append(close);
  for (const name of ["mouseenter", "focusin"]) item.addEventListener(name, () => clearTimeout(timer));
  for (const name of ["mouseleave", "focusout"]) item.addEventListener(name, arm);

  container.append(item);
  while (container.children.length > MAX_VISIBLE) container.firstElementChild.remove();
  arm();
  return dismiss;
}

/** A toast for a failed API call (its message, or a generic one). */
export function toastError(error, title = "That didn't work") {
  return toast(error && error.message ? error.message : "Something went wrong.", { kind: "error", title, timeout: 9000 });
}
