// Shared by the admin sections: the section's body, and its loading/empty/error states.

import { emptyState, h, icon, replace } from "../dom.js";

export const section = document.querySelector("[data-admin-section]");
export const body = section.querySelector("[data-admin-body]");

export function done() {
  section.setAttribute("aria-busy", "false");
}

/** Render what a load produced; an endpoint that does not exist yet gets a calm note. */
export async function load(what, fetcher, render) {
  try {
    render(await fetcher());
  } catch (error) {
    if (error.isMissing) {
      replace(body, notAvailable(what));
    } else {
      replace(
        body,
        h("div", { class: "card" }, emptyState("offline", `Couldn't load ${what}`, error.message, retry(() => load(what, fetcher, render)))),
      );
    }
  } finally {
    done();
  }
}

export function notAvailable(what) {
  return h(
    "div",
    { class: "card" },
    emptyState("box", "Not available yet", `This MediaNest can't manage ${what} from here yet; it arrives with an update.`),
  );
}

export function retry(action) {
  return h("button", { class: "btn btn--sm", type: "button", onclick: action }, icon("refresh"), "Try again");
}

export function itemsOf(data) {
  if (Array.isArray(data)) return data;
  return data && Array.isArray(data.items) ? data.items : [];
}

/** A <button role="switch">; `onToggle(next)` resolves when the change is saved (or throws). */
export function toggleSwitch({ checked, label, onToggle }) {
  const button = h("button", { class: "switch", type: "button", role: "switch", "aria-checked": String(Boolean(checked)), "aria-label": label });
  button.addEventListener("click", async () => {
    const next = button.getAttribute("aria-checked") !== "true";
    button.setAttribute("aria-checked", String(next));
    button.disabled = true;
    try {
      await onToggle(next);
    } catch {
      button.setAttribute("aria-checked", String(!next));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
