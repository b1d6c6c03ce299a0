// Light and dark: follows the OS unless the visitor picked one with the toggle (remembered).

const KEY = "medianest.theme";
const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");

/** The theme in effect: "light" or "dark". */
export function currentTheme() {
  const chosen = document.documentElement.getAttribute("data-theme");
  if (chosen === "light" || chosen === "dark") return chosen;
  return darkQuery.matches ? "dark" : "light";
}

/** Use `theme` ("light" | "dark") from now on, on this device. */
export function setTheme(theme) {
  document.documentElement.setAttribute("data-theme", theme);
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // Not remembered when storage is blocked; still applied to this page.
  }
}

/** Wire every `[data-theme-toggle]` button: it switches to the other theme and says so. */
export function initThemeToggles(root = document) {
  const buttons = [...root.querySelectorAll("[data-theme-toggle]")];
  const label = () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    for (const button of buttons) button.setAttribute("aria-label", `Switch to ${next} theme`);
  };
  for (const button of buttons) {
    button.addEventListener("click", () => {
      setTheme(currentTheme() === "dark" ? "light" : "dark");
      label();
    });
  }
  darkQuery.addEventListener("change", label);
  label();
}
