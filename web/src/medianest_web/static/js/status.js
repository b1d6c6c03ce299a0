// Service status: the pills and the entries of GET /api/dashboard/status, kept current by
// `service:status` events. Status is never shown by colour alone: every pill has an icon
// and a word.

import { h, humanize, icon, timeElement } from "./dom.js";

export const STATUSES = {
  online: { label: "Online", icon: "online" },
  degraded: { label: "Degraded", icon: "degraded" },
  offline: { label: "Offline", icon: "offline" },
  unknown: { label: "Unknown", icon: "unknown" },
};

export function normalStatus(value) {
  return Object.hasOwn(STATUSES, value) ? value : "unknown";
}

/** What to call a service: the title the server sends (its plugin names it), else its id in words. */
export function serviceTitle(entry) {
  const title = entry && typeof entry.title === "string" ? entry.title.trim() : "";
  return title || humanize(String((entry && entry.service) || "Service"));
}

export function statusPill(value) {
  const status = normalStatus(value);
  const { label, icon: iconName } = STATUSES[status];
  return h("span", { class: `pill pill--${status}` }, icon(iconName), label);
}

export function formatMs(value) {
  if (!Number.isFinite(value)) return null;
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

/** 100% only when it is: 99.98 stays "99.98%". */
export function formatUptime(value) {
  if (!Number.isFinite(value)) return null;
  const digits = value === 100 || value === 0 ? 0 : value >= 99 ? 2 : 1;
  const factor = 10 ** digits;
  return `${(Math.floor(value * factor) / factor).toFixed(digits)}% uptime`; // never rounds up to 100
}

function meta(iconName, content) {
  return content ? h("span", {}, icon(iconName), content) : null;
}

function monitorItem(monitor) {
  return h(
    "li",
    { class: "monitor", "data-monitor": String(monitor.id ?? "") },
    h("span", { class: "monitor__name", title: String(monitor.name ?? "") }, String(monitor.name ?? "Monitor")),
    statusPill(monitor.status),
  );
}

function monitorsBlock(monitors) {
  if (!Array.isArray(monitors) || monitors.length === 0) return null;
  const trouble = monitors.filter((monitor) => normalStatus(monitor.status) !== "online").length;
  const summary = trouble
    ? `${monitors.length} monitors · ${trouble} need${trouble === 1 ? "s" : ""} attention`
    : `${monitors.length} monitors · all up`;
  const block = h(
    "details",
    { class: "service__monitors" },
    h("summary", {}, summary),
    h("ul", { class: "monitor-list" }, monitors.map(monitorItem)),
  );
  if (trouble) block.open = true;
  return block;
}

/** One service as a list item (all text through textContent). */
export function serviceItem(entry) {
  const status = normalStatus(entry.status);
  return h(
    "li",
    { class: `service service--${status}`, "data-service": String(entry.service) },
    h(
      "div",
      { class: "service__top" },
      h("span", { class: "service__name" }, serviceTitle(entry)),
      statusPill(status),
    ),
    h(
      "div",
      { class: "service__meta" },
      meta("clock", formatMs(entry.response_time_ms)),
      meta("activity", formatUptime(entry.uptime_percentage)),
      entry.last_check_at ? h("span", {}, "Checked ", timeElement(entry.last_check_at)) : null,
      entry.stale
        ? h("span", { class: "badge badge--warn", title: "MediaNest couldn't refresh this lately; this is the last known state." }, "Last known")
        : null,
    ),
    // An unknown status is not a failure (often: not set up yet), so its reason is not shown in red.
    entry.error ? h("p", { class: status === "unknown" ? "service__note" : "service__error" }, String(entry.error)) : null,
    monitorsBlock(entry.monitors),
  );
}

/** Merge a `service:status` event into the entry it changes (a service, or one monitor). */
export function mergeUpdate(current, update) {
  const { monitor, ...fields } = update;
  const entry = { ...(current || {}), ...fields };
  if (monitor && typeof monitor === "object") {
    const monitors = Array.isArray(entry.monitors) ? [...entry.monitors] : [];
    const index = monitors.findIndex((item) => item.id === monitor.id);
    if (index === -1) monitors.push(monitor);
    else monitors[index] = { ...monitors[index], ...monitor };
    entry.monitors = monitors;
  }
  return entry;
}

/** "All 3 services are online" or "1 of 3 services needs attention". */
export function summaryText(entries) {
  const total = entries.length;
  const trouble = entries.filter((entry) => normalStatus(entry.status) !== "online").length;
  if (total === 0) return "";
  if (trouble === 0) return total === 1 ? "The service is online" : `All ${total} services are online`;
  return `${trouble} of ${total} service${total === 1 ? "" : "s"} need${trouble === 1 ? "s" : ""} attention`;
}
