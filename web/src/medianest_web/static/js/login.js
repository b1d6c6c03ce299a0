// The sign-in page: the Plex PIN flow, and the admin's password form.

import { describeWait, request, safeNext } from "./api.js";

const POLL_EVERY_MS = 2000;

const main = document.getElementById("main");
const next = safeNext(main.dataset.next || "/");

// ---- Plex PIN -------------------------------------------------------------------------

const plex = document.querySelector("[data-plex]");
const startButton = plex.querySelector("[data-plex-start]");
const rememberBox = plex.querySelector("[data-plex-remember]");
const codeOutput = plex.querySelector("[data-pin-code]");
const pinLink = plex.querySelector("[data-pin-link]");
const pinStatus = plex.querySelector("[data-pin-status]");
const pinExpiry = plex.querySelector("[data-pin-expiry]");
const problemTitle = plex.querySelector("[data-problem-title]");
const problemMessage = plex.querySelector("[data-problem-message]");
const adminDetails = document.querySelector("[data-admin]");

let flow = null; // the PIN being waited for: { pinId, expiresAt, pollTimer, clockTimer }

function showStep(name) {
  for (const step of plex.querySelectorAll("[data-step]")) step.hidden = step.dataset.step !== name;
}

function stopFlow() {
  if (flow) {
    clearTimeout(flow.pollTimer);
    clearInterval(flow.clockTimer);
  }
  flow = null;
}

/** Only a web link may become the "Open plex.tv/link" target. */
function externalLink(value, fallback) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : fallback;
  } catch {
    return fallback;
  }
}

async function startPlex() {
  stopFlow();
  startButton.disabled = true;
  startButton.setAttribute("aria-busy", "true");
  try {
    const pin = await request("POST", "/api/auth/plex/pin", undefined, { authRedirect: false });
    const expiresAt = Date.parse(pin.expires_at);
    flow = { pinId: pin.pin_id, expiresAt: Number.isNaN(expiresAt) ? null : expiresAt };
    codeOutput.textContent = String(pin.code ?? "");
    pinLink.href = externalLink(pin.auth_url, "https://plex.tv/link");
    pinStatus.textContent = "Waiting for you to enter the code…";
    showStep("pin");
    pinLink.focus();
    tickExpiry(flow);
    flow.clockTimer = setInterval(() => tickExpiry(flow), 1000);
    schedulePoll(flow);
  } catch (error) {
    showProblem(error, { starting: true });
  } finally {
    startButton.disabled = false;
    startButton.removeAttribute("aria-busy");
  }
}

function tickExpiry(current) {
  if (!current || current !== flow || !current.expiresAt) return;
  const left = Math.max(0, Math.round((current.expiresAt - Date.now()) / 1000));
  if (left === 0) {
    expired();
    return;
  }
  const minutes = Math.floor(left / 60);
  const seconds = String(left % 60).padStart(2, "0");
  pinExpiry.textContent = `This code works for another ${minutes}:${seconds}.`;
}

function schedulePoll(current) {
  current.pollTimer = setTimeout(() => poll(current), POLL_EVERY_MS);
}

async function poll(current) {
  if (current !== flow) return;
  try {
    const data = await request(
      "POST",
      "/api/auth/plex",
      { pin_id: current.pinId, remember_me: rememberBox.checked },
      { authRedirect: false },
    );
    if (current !== flow) return;
    if (data && data.status === "waiting") {
      schedulePoll(current);
      return;
    }
    stopFlow();
    pinStatus.textContent = "Signed in. Opening your dashboard…";
    window.location.assign(data && data.must_change_password ? "/password" : next);
  } catch (error) {
    if (current !== flow) return;
    if (error.code === "NETWORK_ERROR") {
      pinStatus.textContent = "Lost the connection to MediaNest; still trying…";
      schedulePoll(current);
      return;
    }
    showProblem(error);
  }
}

function expired() {
  stopFlow();
  problem("This code has expired", "Plex codes only last a few minutes. Start again to get a fresh one.");
}

function problem(title, message) {
  problemTitle.textContent = title;
  problemMessage.textContent = message;
  showStep("problem");
  plex.querySelector("[data-plex-restart]").focus();
}

function showProblem(error, { starting = false } = {}) {
  stopFlow();
  const code = error.code || "";
  if (starting && (error.status === 404 || code === "PLUGIN_DISABLED")) {
    problem("Plex sign-in isn't set up", "An admin needs to turn on the Plex plugin first. Admins can sign in below.");
    adminDetails.open = true;
  } else if (error.status === 403 && error.details.reason === "registration_closed") {
    problem("New sign-ups are closed", error.message);
  } else if (error.status === 403) {
    problem(
      "No access to this server",
      "This Plex account has no access to this server. Ask the server's owner to share a library with you, then try again.",
    );
  } else if (error.status === 410 || code.includes("EXPIRED") || (!starting && error.status === 404)) {
    problem("This code has expired", "Plex codes only last a few minutes. Start again to get a fresh one.");
  } else if (error.status === 429) {
    problem("Too many attempts", `Please wait ${describeWait(error.retryAfter)} before trying again.`);
  } else if (error.status === 503 || code === "NETWORK_ERROR") {
    problem(starting ? "Plex sign-in isn't available right now" : "Plex can't be reached right now", error.message);
  } else {
    problem("Plex sign-in didn't work", error.message);
  }
}

startButton.addEventListener("click", startPlex);
plex.querySelector("[data-plex-restart]").addEventListener("click", startPlex);
plex.querySelector("[data-plex-cancel]").addEventListener("click", () => {
  stopFlow();
  showStep("start");
  startButton.focus();
});

// ---- admin password sign-in --------------------------------------------------------------

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

if (window.location.hash === "#admin") adminDetails.open = true;
