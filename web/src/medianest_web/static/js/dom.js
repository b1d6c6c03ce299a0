// Building DOM from data without ever parsing data as HTML: text goes in as textContent.
//
//   h("p", { class: "muted" }, "Checked ", h("time", { datetime: iso }, ago))

const SVG = "http://www.w3.org/2000/svg";

/** An element with attributes (strings, booleans, `on*` functions as listeners) and children. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) {
      // Listeners only: an inline handler attribute would be script from a string.
      if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An icon from the page's inline sprite (decorative: hidden from screen readers). */
export function icon(name, className = "") {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", className ? `icon ${className}` : "icon");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/** Replace an element's children. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/** An empty state: icon, title and one helpful sentence (and optional actions). */
export function emptyState(iconName, title, text, ...actions) {
  return h(
    "div",
    { class: "empty" },
    h("span", { class: "empty__icon" }, icon(iconName)),
    h("p", { class: "empty__title" }, title),
    text ? h("p", { class: "empty__text" }, text) : null,
    actions.length ? h("div", { class: "form__actions" }, actions) : null,
  );
}

const ACRONYMS = new Map([["tv", "TV"], ["id", "ID"], ["url", "URL"], ["api", "API"], ["ip", "IP"], ["4k", "4K"]]);

/** "Response time ms" from "response_time_ms", "TV shows" from "tv_shows". */
export function humanize(key) {
  const words = String(key)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => ACRONYMS.get(word.toLowerCase()) || word.toLowerCase());
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "2 minutes ago", "just now", or "" for a missing or bad date. */
export function timeAgo(value, now = Date.now()) {
  if (!value) return "";
  const then = new Date(value).getTime();
  if (Number.isNaN(then)) return "";
  const seconds = Math.round((then - now) / 1000);
  if (Math.abs(seconds) < 10) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A local, readable date and time, or "—". */
export function formatDateTime(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "—" : dateTime.format(date);
}

/** A <time> element showing "x ago" with the exact time as its tooltip. */
export function timeElement(value) {
  return h("time", { datetime: value, title: formatDateTime(value), "data-ago": value }, timeAgo(value));
}

/** Keep every `[data-ago]` element's "x ago" text current. */
export function tickTimes(root = document, every = 15000) {
  const tick = () => {
    for (const element of root.querySelectorAll("[data-ago]")) {
      element.textContent = timeAgo(element.getAttribute("data-ago"));
    }
  };
  return setInterval(tick, every);
}
