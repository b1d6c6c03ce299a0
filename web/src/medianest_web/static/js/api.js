// The JSON API from the browser: the envelope unwrapped, errors thrown, CSRF echoed.
//
//   import { request, ApiError } from "./api.js";
//   const data = await request("GET", "/api/dashboard/status");
//   await request("PUT", `/api/admin/plugins/${name}`, { enabled: true });
//
// Success answers `data`. A failure throws an ApiError with the envelope's code, message and
// details (status 0 and code NETWORK_ERROR when MediaNest could not be reached). A signed-out
// visitor is sent to the sign-in page, and one whose password must change to /password.

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export class ApiError extends Error {
  constructor({ status, code, message, details = {}, retryAfter = null }) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }

  /** Field messages from a VALIDATION_ERROR (`details.fields`), or {}. */
  get fields() {
    const fields = this.details && this.details.fields;
    return fields && typeof fields === "object" ? fields : {};
  }

  /** True when the endpoint does not exist (yet) or its plugin is off. */
  get isMissing() {
    return this.status === 404 && (this.code === "NOT_FOUND" || this.code === "PLUGIN_DISABLED");
  }
}

/** The value of cookie `name`, or "" (the CSRF cookie is readable on purpose). */
export function cookie(name) {
  const prefix = `${name}=`;
  for (const part of document.cookie.split(";")) {
    const item = part.trim();
    if (item.startsWith(prefix)) return decodeURIComponent(item.slice(prefix.length));
  }
  return "";
}

/** `target` when it is a path on this site, else `fallback` (the server checks this too). */
export function safeNext(target, fallback = "/") {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//")) return fallback;
  if (/[\\\u0000-\u0020\u007f]/.test(target)) return fallback;
  const url = new URL(target, window.location.origin);
  if (url.origin !== window.location.origin) return fallback;
  if (["/login", "/logout", "/password"].includes(url.pathname.replace(/\/+$/, ""))) return fallback;
  return target;
}

/** The sign-in page, returning to `next` afterwards. */
export function loginUrl(next = window.location.pathname + window.location.search) {
  const target = safeNext(next, "");
  return target ? `/login?next=${encodeURIComponent(target)}` : "/login";
}

/**
 * Call the API. `options.authRedirect` (default true) sends a signed-out visitor to the
 * sign-in page; the sign-in forms turn it off to show "wrong password" themselves.
 */
export async function request(method, path, body, options = {}) {
  const { authRedirect = true, signal } = options;
  const verb = method.toUpperCase();
  const headers = { Accept: "application/json" };
  const init = { method: verb, headers, credentials: "same-origin", signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(verb)) {
    const token = cookie("csrf_token");
    if (token) headers["X-CSRF-Token"] = token;
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error && error.name === "AbortError") throw error;
    throw new ApiError({
      status: 0,
      code: "NETWORK_ERROR",
      message: "MediaNest can't be reached. Check your connection and try again.",
    });
  }

  const envelope = await readEnvelope(response);
  if (envelope && envelope.success === true) return envelope.data;

  const error = toError(response, envelope);
  if (authRedirect) followAuthError(error);
  throw error;
}

export const api = {
  get: (path, options) => request("GET", path, undefined, options),
  post: (path, body, options) => request("POST", path, body, options),
  put: (path, body, options) => request("PUT", path, body, options),
  delete: (path, options) => request("DELETE", path, undefined, options),
};

async function readEnvelope(response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

function toError(response, envelope) {
  const problem = envelope && envelope.success === false && envelope.error ? envelope.error : null;
  const header = Number.parseInt(response.headers.get("Retry-After") || "", 10);
  const details = (problem && problem.details) || {};
  const retryAfter = Number.isFinite(details.retryAfter) ? details.retryAfter : Number.isFinite(header) ? header : null;
  return new ApiError({
    status: response.status,
    code: (problem && problem.code) || `HTTP_${response.status}`,
    message: (problem && problem.message) || `MediaNest answered ${response.status} ${response.statusText}`.trim(),
    details,
    retryAfter,
  });
}

function followAuthError(error) {
  if (error.code === "UNAUTHENTICATED") {
    window.location.assign(loginUrl());
  } else if (error.code === "PASSWORD_CHANGE_REQUIRED" && window.location.pathname !== "/password") {
    window.location.assign("/password");
  }
}

/** "in 42 seconds" / "in 3 minutes": for rate-limit messages. */
export function describeWait(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
  const minutes = Math.ceil(s / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}
