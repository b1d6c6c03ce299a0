// Admin → Settings: rate limits and registration rules (GET/PUT /api/admin/config, partial).
// Windows are stored in seconds and edited as a number and a unit ("5 per 1 hour"). What each
// setting is called comes from the server (`data-labels`: {group: {key: {title, hint}}}), which
// knows the settings the installed plugins declare.

import { api } from "../api.js";
import { h, humanize, replace } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { body, load } from "./common.js";

const LABELS = readLabels(body.dataset.labels);
const UNITS = [
  ["86400", "days"],
  ["3600", "hours"],
  ["60", "minutes"],
  ["1", "seconds"],
];

/** The server's labels, or none (every setting then goes by its key in words). */
export function readLabels(json) {
  try {
    const labels = JSON.parse(json || "{}");
    return labels && typeof labels === "object" ? labels : {};
  } catch {
    return {};
  }
}

/** [title, hint] of a setting: the server's words, else its key in words. */
function labelOf(group, key) {
  const label = (LABELS[group] || {})[key] || {};
  return [String(label.title || humanize(key)), String(label.hint || "")];
}

/** The largest unit that divides `seconds` evenly: 3600 → [1, "3600"]. */
export function splitWindow(seconds) {
  for (const [size] of UNITS) {
    if (seconds >= Number(size) && seconds % Number(size) === 0) return [seconds / Number(size), size];
  }
  return [seconds, "1"];
}

function limitFieldset(key, limit) {
  const [title, hint] = labelOf("rate_limits", key);
  const [amount, unit] = splitWindow((limit && limit.window) || 60);
  const count = h("input", { id: `limit-${key}`, type: "number", inputmode: "numeric", min: 1, step: 1, value: limit ? limit.limit : "" });
  const every = h("input", { id: `every-${key}`, type: "number", inputmode: "numeric", min: 1, step: 1, value: amount });
  const units = h(
    "select",
    { id: `unit-${key}`, "aria-label": `${title}: unit of time` },
    UNITS.map(([size, label]) => h("option", { value: size, selected: size === unit }, label)),
  );
  const element = h(
    "fieldset",
    { class: "card form settings-group" },
    h("legend", {}, title),
    hint ? h("p", { class: "field__hint" }, hint) : null,
    h(
      "div",
      { class: "field-row" },
      h("div", { class: "field" }, h("label", { for: count.id }, "At most"), count),
      h("div", { class: "field" }, h("label", { for: every.id }, "Every"), h("div", { class: "input-group" }, every, units)),
    ),
  );
  const read = () => ({ limit: Number(count.value), window: Number(every.value) * Number(units.value) });
  return { key, element, read };
}

function registrationFieldset(registration) {
  const reads = {};
  const fields = [];
  if (registration && "default_role" in registration) {
    const id = "registration-default_role";
    const [label] = labelOf("registration", "default_role");
    const input = h("select", { id }, [["user", "Member"], ["admin", "Admin"]].map(([role, text]) => h("option", { value: role, selected: role === registration.default_role }, text)));
    reads.default_role = () => input.value;
    fields.push(h("div", { class: "field" }, h("label", { for: id }, label), input));
  }
  // One switch per sign-in provider the plugins add: may people it vouches for sign in the first time?
  const providers = (registration && registration.providers) || {};
  const switches = Object.entries(providers).map(([provider, open]) => {
    const input = h("input", { type: "checkbox", id: `registration-provider-${provider}`, checked: Boolean(open) });
    const [title] = labelOf("sign_in", provider);
    return { provider, input, element: h("label", { class: "check" }, input, h("span", {}, `New people may sign in with ${title}`)) };
  });
  if (switches.length) {
    reads.providers = () => Object.fromEntries(switches.map(({ provider, input }) => [provider, input.checked]));
    fields.push(...switches.map(({ element }) => element));
  }
  if (fields.length === 0) return null;
  return {
    element: h("fieldset", { class: "card form settings-group" }, h("legend", {}, "Signing in"), fields),
    read: () => Object.fromEntries(Object.entries(reads).map(([key, read]) => [key, read()])),
  };
}

function render(config) {
  const limits = (config && config.rate_limits) || {};
  const groups = Object.keys(limits).map((key) => limitFieldset(key, limits[key]));
  const registration = registrationFieldset(config && config.registration);
  const errors = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = h("button", { class: "btn btn--primary", type: "submit" }, "Save settings");
  const form = h(
    "form",
    { class: "form settings", novalidate: true },
    h("h3", { class: "section-title" }, "Rate limits"),
    h("div", { class: "settings-grid" }, groups.map((group) => group.element)),
    registration ? [h("h3", { class: "section-title" }, "Registration"), registration.element] : null,
    errors,
    h("div", { class: "form__actions" }, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    save.disabled = true;
    const patch = { rate_limits: Object.fromEntries(groups.map((group) => [group.key, group.read()])) };
    if (registration) patch.registration = registration.read();
    try {
      await api.put("/api/admin/config", patch);
      toast("Settings saved.", { kind: "success" });
    } catch (error) {
      const fields = Object.entries(error.fields).map(([path, message]) => `${humanize(path.split(".").slice(-2).join(" "))}: ${message}`);
      errors.textContent = fields.length ? fields.join(" · ") : error.message;
      errors.hidden = false;
      if (!fields.length) toastError(error, "Couldn't save the settings");
    } finally {
      save.disabled = false;
    }
  });
  replace(body, form);
}

load("system settings", () => api.get("/api/admin/config"), render);
