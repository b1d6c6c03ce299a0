// What every page has: the theme toggle, the account menu and signing out.

import { request } from "./api.js";
import { initThemeToggles } from "./theme.js";
import { toastError } from "./toast.js";

function initUserMenu() {
  const menu = document.querySelector("[data-user-menu]");
  if (!menu) return;
  const button = menu.querySelector("[aria-controls]");
  const panel = document.getElementById(button.getAttribute("aria-controls"));
  const setOpen = (open, { focusButton = false } = {}) => {
    button.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (open) panel.querySelector("a, button")?.focus();
    else if (focusButton) button.focus();
  };
  button.addEventListener("click", () => setOpen(panel.hidden));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) setOpen(false, { focusButton: true });
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !menu.contains(event.target)) setOpen(false);
  });
  menu.addEventListener("focusout", (event) => {
    if (!panel.hidden && event.relatedTarget && !menu.contains(event.relatedTarget)) setOpen(false);
  });
}

function initSignOut() {
  for (const button of document.querySelectorAll("[data-sign-out]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await request("POST", "/api/auth/logout", undefined, { authRedirect: false });
        window.location.assign("/login");
      } catch (error) {
        if (error.code === "UNAUTHENTICATED") window.location.assign("/login");
        else toastError(error, "Couldn't sign out");
        button.disabled = false;
      }
    });
  }
}

initThemeToggles();
initUserMenu();
initSignOut();
