// Admin → Settings: rate limits and registration rules (GET/PUT /api/admin/config, partial).

import { api } from "../api.js";
import { h, humanize, replace } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { body, load } from "./common.js";

const LIMITS = {
  api: ["API requests", "Per person, across the whole API."],
  youtube: ["YouTube downloads", "Playlists one person may submit."],
  media_request: ["Media requests", "Movies and shows one person may request."],
};

function numberInput(id, name, value, min) {
  return h("input", { id, name, type: "number", inputmode: "numeric", min, step: 1, value: Number.isFinite(value) ? value : "" });
}

function limitFieldset(key, limit) {
  const [title, hint] = LIMITS[key] || [humanize(key), ""];
  const count = numberInput(`limit-${key}`, `rate_limits.${key}.limit`, limit && limit.limit, 1);
  const window = numberInput(`window-${key}`, `rate_limits.${key}.window`, limit && limit.window, 1);
  return h(
    "fieldset",
    { class: "card form" },
    h("legend", { class: "visually-hidden" }, title),
    h("h3", {}, title),
    hint ? h("p", { class: "field__hint" }, hint) : null,
    h(
      "div",
      { class: "field-row" },
      h("div", { class: "field" }, h("label", { for: count.id }, "At most"), count),
      h("div", { class: "field" }, h("label", { for: window.id }, "Every (seconds)"), window),
    ),
  );
}

function registrationFieldset(registration) {
  const entries = Object.entries(registration || {});
  if (entries.length === 0) return null;
  return h(
    "fieldset",
    { class: "card form" },
    h("legend", { class: "visually-hidden" }, "Registration"),
    h("h3", {}, "Registration"),
    entries.map(([key, value]) => {
      const id = `registration-${key}`;
      const name = `registration.${key}`;
      if (typeof value === "boolean") {
        return h("label", { class: "check" }, h("input", { type: "checkbox", id, name, checked: value }), h("span", {}, humanize(key)));
      }
      const input = typeof value === "number" ? numberInput(id, name, value, 0) : h("input", { id, name, value: value ?? "" });
      return h("div", { class: "field" }, h("label", { for: id }, humanize(key)), input);
    }),
  );
}

/** The form's values as the nested, partial document PUT takes. */
function collect(form) {
  const document_ = {};
  for (const input of form.querySelectorAll("input[name]")) {
    const path = input.name.split(".");
    let target = document_;
    for (const part of path.slice(0, -1)) target = target[part] ??= {};
    const last = path.at(-1);
    if (input.type === "checkbox") target[last] = input.checked;
    else if (input.type === "number") target[last] = input.value === "" ? null : Number(input.value);
    else target[last] = input.value;
  }
  return document_;
}

function render(config) {
  const limits = (config && config.rate_limits) || {};
  const keys = [...new Set([...Object.keys(LIMITS), ...Object.keys(limits)])];
  const errors = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = h("button", { class: "btn btn--primary", type: "submit" }, "Save settings");
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("h3", { class: "section-title" }, "Rate limits"),
    keys.map((key) => limitFieldset(key, limits[key])),
    registrationFieldset(config && config.registration),
    errors,
    h("div", { class: "form__actions" }, save),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    save.disabled = true;
    try {
      await api.put("/api/admin/config", collect(form));
      toast("Settings saved.", { kind: "success" });
    } catch (error) {
      const fields = Object.entries(error.fields).map(([path, message]) => `${path}: ${message}`);
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
