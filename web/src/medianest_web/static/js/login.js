// The sign-in page's admin password form (each auth provider's button runs its own script).

import { describeWait, request, safeNext } from "./api.js";

const main = document.getElementById("main");
const next = safeNext(main.dataset.next || "/");

const form = document.querySelector("[data-admin-form]");
const formError = form.querySelector("[data-admin-error]");
const submit = form.querySelector("[data-admin-submit]");

function showFormError(message, field) {
  formError.textContent = message;
  formError.hidden = false;
  for (const input of form.querySelectorAll("input[name]")) input.removeAttribute("aria-invalid");
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = form.elements.username;
  const password = form.elements.password;
  if (!username.value.trim()) return showFormError("Enter your username.", username);
  if (!password.value) return showFormError("Enter your password.", password);

  formError.hidden = true;
  submit.disabled = true;
  submit.textContent = "Signing in…";
  try {
    const data = await request(
      "POST",
      "/api/auth/admin",
      { username: username.value.trim(), password: password.value, remember_me: form.elements.remember_me.checked },
      { authRedirect: false },
    );
    window.location.assign(data.must_change_password ? `/password?next=${encodeURIComponent(next)}` : next);
  } catch (error) {
    submit.disabled = false;
    submit.textContent = "Sign in";
    if (error.status === 429) {
      showFormError(`Too many failed sign-ins. Try again in ${describeWait(error.retryAfter)}.`);
    } else if (error.status === 401) {
      password.value = "";
      showFormError(error.message || "Wrong username or password.", password);
    } else {
      const fields = Object.values(error.fields);
      showFormError(fields.length ? fields.join(" ") : error.message);
    }
  }
});

if (window.location.hash === "#admin") document.querySelector("[data-admin]").open = true;
