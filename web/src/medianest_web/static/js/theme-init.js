// Applies the remembered theme before the first paint. A classic script (not a module) so
// that it runs while the page is still parsing; the OS preference applies when none is set.
(function () {
  try {
    var theme = localStorage.getItem("medianest.theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (error) {
    // Storage can be blocked (private modes); the OS preference still applies.
  }
})();
