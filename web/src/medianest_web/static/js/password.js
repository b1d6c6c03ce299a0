// Change password: checks what it can before sending, then shows the server's own
// per-field messages (VALIDATION_ERROR details.fields) next to the fields they name.

import { request, safeNext } from "./api.js";

const MIN_LENGTH = 12;

const main = document.getElementById("main");
const next = safeNext(main.dataset.next || "/");
const form = document.querySelector("[data-password-form]");
const formError = form.querySelector("[data-form-error]");
const submit = form.querySelector("[data-submit]");

function clearErrors() {
  formError.hidden = true;
  for (const message of form.querySelectorAll("[data-error-for]")) message.hidden = true;
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
}

/** Show messages by field name; focus the first field in error. Returns whether any showed. */
function showFieldErrors(fields) {
  let first = null;
  for (const [name, message] of Object.entries(fields)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const input = form.elements[name];
    if (!slot || !input) continue;
    slot.textContent = String(message);
    slot.hidden = false;
    input.setAttribute("aria-invalid", "true");
    first = first || input;
  }
  if (first) first.focus();
  return first !== null;
}

function localProblems() {
  const { current_password: current, new_password: fresh, confirm_password: confirm } = form.elements;
  const problems = {};
  if (!current.value) problems.current_password = "Enter your current password.";
  if (fresh.value.length < MIN_LENGTH) problems.new_password = `Use at least ${MIN_LENGTH} characters.`;
  else if (fresh.value === current.value) problems.new_password = "Choose a password different from the current one.";
  if (confirm.value !== fresh.value) problems.confirm_password = "The two new passwords don't match.";
  return problems;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors();
  if (showFieldErrors(localProblems())) return;

  submit.disabled = true;
  submit.textContent = "Saving…";
  try {
    await request("POST", "/api/auth/password", {
      current_password: form.elements.current_password.value,
      new_password: form.elements.new_password.value,
    });
    submit.textContent = "Password changed";
    window.location.assign(next);
  } catch (error) {
    submit.disabled = false;
    submit.textContent = "Change password";
    if (!showFieldErrors(error.fields)) {
      formError.textContent = error.message;
      formError.hidden = false;
    }
  }
});
