// Widget HTML rendered by the server (a plugin's Jinja template, autoescaped) is trusted, but
// it is still parsed inertly and cut down to an allow-list before it joins the page: a plugin
// bug must not become script, styles or a link to `javascript:`. The CSP would block most of
// it anyway; this keeps the page from even trying.

const ALLOWED_TAGS = new Set([
  "a", "abbr", "b", "br", "caption", "code", "dd", "div", "dl", "dt", "em", "figcaption", "figure",
  "h3", "h4", "h5", "hr", "i", "img", "li", "mark", "meter", "ol", "p", "pre", "progress", "s",
  "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
  "tr", "u", "ul",
]);
// Dropped with everything inside them.
const DROPPED_TAGS = new Set(["script", "style", "template", "iframe", "object", "embed", "noscript", "svg", "math", "form"]);
const ALLOWED_ATTRIBUTES = new Set([
  "class", "href", "src", "alt", "title", "datetime", "colspan", "rowspan", "scope", "value", "min",
  "max", "low", "high", "optimum", "width", "height", "loading", "role", "lang", "dir",
]);

function safeUrl(value, { image = false } = {}) {
  try {
    const url = new URL(value, window.location.origin);
    if (image) return url.origin === window.location.origin ? url.href : null; // img-src 'self'
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function cleanAttributes(element) {
  for (const { name, value } of [...element.attributes]) {
    const lower = name.toLowerCase();
    const keep = ALLOWED_ATTRIBUTES.has(lower) || lower.startsWith("aria-") || lower.startsWith("data-");
    if (!keep) {
      element.removeAttribute(name);
    } else if (lower === "href" || lower === "src") {
      const url = safeUrl(value, { image: lower === "src" });
      if (url === null) element.removeAttribute(name);
    }
  }
  if (element.localName === "a" && element.hasAttribute("href")) {
    const url = new URL(element.getAttribute("href"), window.location.origin);
    if (url.origin !== window.location.origin) {
      element.setAttribute("target", "_blank");
      element.setAttribute("rel", "noopener noreferrer");
    }
  }
}

function clean(node) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === Node.COMMENT_NODE) {
      child.remove();
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const tag = child.localName;
      if (DROPPED_TAGS.has(tag)) {
        child.remove();
      } else if (!ALLOWED_TAGS.has(tag)) {
        clean(child);
        child.replaceWith(...child.childNodes); // keep the text, lose the element
      } else {
        cleanAttributes(child);
        clean(child);
      }
    }
  }
}

/** A DocumentFragment holding the allowed part of `html`. */
export function sanitizedFragment(html) {
  // DOMParser documents are inert: no script runs and no image loads while we clean.
  const doc = new DOMParser().parseFromString(String(html), "text/html");
  clean(doc.body);
  const fragment = document.createDocumentFragment();
  fragment.append(...[...doc.body.childNodes].map((node) => document.adoptNode(node)));
  return fragment;
}
