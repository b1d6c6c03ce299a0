// The Plex PIN flow, for every `[data-plex]` section (templates/plex/_pin.html): show the
// code and the plex.tv/link button, poll until the person approves it, then go on by itself.
// Signing in polls /api/auth/plex; linking an account (someone already signed in) polls
// /api/auth/plex/link. The section's `data-plex-complete` says which.

// The shell's modules by their absolute paths: the asset manifest versions these imports too.
import { describeWait, request, safeNext } from "/static/web/js/api.js";

const POLL_EVERY_MS = 2000;
const SIGN_IN = "/api/auth/plex";

/** Only a web link may become the "Open plex.tv/link" target. */
function externalLink(value, fallback) {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : fallback;
  } catch {
    return fallback;
  }
}

class PinFlow {
  constructor(root) {
    this.root = root;
    this.complete = root.dataset.plexComplete || SIGN_IN;
    this.signingIn = this.complete === SIGN_IN;
    this.done = root.dataset.plexDone ? safeNext(root.dataset.plexDone) : null;
    this.startButton = root.querySelector("[data-plex-start]");
    this.rememberBox = root.querySelector("[data-plex-remember]");
    this.codeOutput = root.querySelector("[data-pin-code]");
    this.pinLink = root.querySelector("[data-pin-link]");
    this.pinStatus = root.querySelector("[data-pin-status]");
    this.pinExpiry = root.querySelector("[data-pin-expiry]");
    this.current = null; // the PIN being waited for: { pinId, expiresAt, pollTimer, clockTimer }
    this.startButton.addEventListener("click", () => this.start());
    root.querySelector("[data-plex-restart]").addEventListener("click", () => this.start());
    root.querySelector("[data-plex-cancel]").addEventListener("click", () => {
      this.stop();
      this.showStep("start");
      this.startButton.focus();
    });
  }

  showStep(name) {
    for (const step of this.root.querySelectorAll("[data-step]")) step.hidden = step.dataset.step !== name;
  }

  stop() {
    if (this.current) {
      clearTimeout(this.current.pollTimer);
      clearInterval(this.current.clockTimer);
    }
    this.current = null;
  }

  async start() {
    this.stop();
    this.startButton.disabled = true;
    this.startButton.setAttribute("aria-busy", "true");
    try {
      const pin = await request("POST", "/api/auth/plex/pin", undefined, { authRedirect: false });
      const expiresAt = Date.parse(pin.expires_at);
      const flow = { pinId: pin.pin_id, expiresAt: Number.isNaN(expiresAt) ? null : expiresAt };
      this.current = flow;
      this.codeOutput.textContent = String(pin.code ?? "");
      this.pinLink.href = externalLink(pin.auth_url, "https://plex.tv/link");
      this.pinStatus.textContent = "Waiting for you to enter the code…";
      this.showStep("pin");
      this.pinLink.focus();
      this.tick(flow);
      flow.clockTimer = setInterval(() => this.tick(flow), 1000);
      this.schedulePoll(flow);
    } catch (error) {
      this.showProblem(error, { starting: true });
    } finally {
      this.startButton.disabled = false;
      this.startButton.removeAttribute("aria-busy");
    }
  }

  tick(flow) {
    if (flow !== this.current || !flow.expiresAt) return;
    const left = Math.max(0, Math.round((flow.expiresAt - Date.now()) / 1000));
    if (left === 0) {
      this.stop();
      this.problem("This code has expired", "Plex codes only last a few minutes. Start again to get a fresh one.");
      return;
    }
    const minutes = Math.floor(left / 60);
    const seconds = String(left % 60).padStart(2, "0");
    this.pinExpiry.textContent = `This code works for another ${minutes}:${seconds}.`;
  }

  schedulePoll(flow) {
    flow.pollTimer = setTimeout(() => this.poll(flow), POLL_EVERY_MS);
  }

  async poll(flow) {
    if (flow !== this.current) return;
    const body = { pin_id: flow.pinId };
    if (this.rememberBox) body.remember_me = this.rememberBox.checked;
    try {
      const data = await request("POST", this.complete, body, { authRedirect: false });
      if (flow !== this.current) return;
      if (data && data.status === "waiting") {
        this.schedulePoll(flow);
        return;
      }
      this.stop();
      this.finish(data);
    } catch (error) {
      if (flow !== this.current) return;
      if (error.code === "NETWORK_ERROR") {
        this.pinStatus.textContent = "Lost the connection to MediaNest; still trying…";
        this.schedulePoll(flow);
        return;
      }
      this.showProblem(error);
    }
  }

  finish(data) {
    if (!this.signingIn) {
      this.pinStatus.textContent = "Linked. Loading…";
      if (this.done) window.location.assign(this.done);
      else window.location.reload();
      return;
    }
    this.pinStatus.textContent = "Signed in. Opening your dashboard…";
    const main = document.getElementById("main");
    const next = safeNext((main && main.dataset.next) || "/");
    window.location.assign(data && data.must_change_password ? "/password" : next);
  }

  problem(title, message) {
    this.root.querySelector("[data-problem-title]").textContent = title;
    this.root.querySelector("[data-problem-message]").textContent = message;
    this.showStep("problem");
    this.root.querySelector("[data-plex-restart]").focus();
  }

  showProblem(error, { starting = false } = {}) {
    this.stop();
    const code = error.code || "";
    if (starting && (error.status === 404 || code === "PLUGIN_DISABLED")) {
      if (this.signingIn) {
        this.problem("Plex sign-in isn't set up", "An admin needs to turn on the Plex plugin first. Admins can sign in below.");
        const adminDetails = document.querySelector("[data-admin]");
        if (adminDetails) adminDetails.open = true;
      } else {
        this.problem("Plex isn't set up", "An admin needs to turn on the Plex plugin first.");
      }
    } else if (error.status === 409) {
      this.problem("Already linked to someone else", error.message);
    } else if (error.status === 403 && error.details.reason === "registration_closed") {
      this.problem("New sign-ups are closed", error.message);
    } else if (error.status === 403) {
      this.problem(
        "No access to this server",
        "This Plex account has no access to this server. Ask the server's owner to share a library with you, then try again.",
      );
    } else if (error.status === 410 || code.includes("EXPIRED") || (!starting && error.status === 404)) {
      this.problem("This code has expired", "Plex codes only last a few minutes. Start again to get a fresh one.");
    } else if (error.status === 429) {
      this.problem("Too many attempts", `Please wait ${describeWait(error.retryAfter)} before trying again.`);
    } else if (error.status === 503 || code === "NETWORK_ERROR") {
      this.problem(starting ? "Plex sign-in isn't available right now" : "Plex can't be reached right now", error.message);
    } else {
      this.problem(this.signingIn ? "Plex sign-in didn't work" : "Linking didn't work", error.message);
    }
  }
}

for (const root of document.querySelectorAll("[data-plex]")) new PinFlow(root);
