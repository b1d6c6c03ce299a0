// JSON calls to MediaNest from the request pages: the CSRF cookie echoed, the envelope read.

function csrfToken() {
  const found = document.cookie.split("; ").find((part) => part.startsWith("csrf_token="));
  return found ? decodeURIComponent(found.slice("csrf_token=".length)) : "";
}

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `MediaNest answered ${status}`);
    this.status = status;
    this.code = error && error.code;
    this.details = (error && error.details) || {};
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    throw new ApiError(response.status, null);
  }
  if (!response.ok || !envelope.success) throw new ApiError(response.status, envelope.error);
  return envelope.data;
}

export const STATUS_LABELS = {
  pending: "Pending approval",
  approved: "Approved",
  partly: "Partly available",
  available: "Available",
  declined: "Declined",
  failed: "Failed",
  deleted: "Removed",
};
const TONES = { pending: "warn", approved: "accent", partly: "accent", available: "ok", declined: "bad", failed: "bad" };

export function badge(status, label) {
  const span = document.createElement("span");
  span.className = "badge" + (TONES[status] ? ` badge--${TONES[status]}` : "");
  span.dataset.status = status;
  span.textContent = label || STATUS_LABELS[status] || status;
  return span;
}
