// Admin → Services: each connection's URL, API key (write-only) and options, with
// "Test connection" (which may test unsaved values) and "Save".
//
// GET /api/admin/services answers, per service: name, title, url, default_url, api_key
// (masked), has_api_key, needs_reentry, key_label, key_required, enabled, config,
// config_schema (JSON Schema of the options), plugin_enabled and the last status.

import { api } from "../api.js";
import { emptyState, h, humanize, icon, replace, timeElement } from "../dom.js";
import { formatMs, serviceTitle, statusPill } from "../status.js";
import { toast, toastError } from "../toast.js";
import { body, itemsOf, load, toggleSwitch } from "./common.js";
import { readFields, schemaFields } from "./fields.js";

const EXAMPLE_URL = "http://192.168.1.10:32400";
let formCount = 0;

function field(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "field__hint", id: hintId }, hint) : null);
}

function keyHint(service) {
  if (service.needs_reentry) return "The saved key can't be read any more; enter it again.";
  if (service.has_api_key) return "Saved and encrypted; type a new one to replace it.";
  return service.key_required === false ? "Optional. Stored encrypted; never shown again." : "Stored encrypted; never shown again.";
}

function testOutcome(outcome, title) {
  const timing = Number.isFinite(outcome.response_time_ms) ? ` in ${formatMs(outcome.response_time_ms)}` : "";
  const status = outcome.status || (outcome.ok ? "online" : "offline");
  const text = outcome.error ? String(outcome.error) : outcome.ok ? `${title} answered${timing}.` : `${title} didn't answer.`;
  return [statusPill(status), " ", text];
}

function serviceForm(service) {
  formCount += 1;
  const prefix = `service-${formCount}`;
  const name = String(service.name);
  const title = serviceTitle({ title: service.title, service: name });
  let enabled = service.enabled !== false;

  const url = h("input", {
    id: `${prefix}-url`,
    type: "url",
    value: service.url || "",
    placeholder: service.default_url || EXAMPLE_URL,
    autocomplete: "off",
    spellcheck: "false",
  });
  const key = h("input", {
    id: `${prefix}-key`,
    type: "password",
    autocomplete: "new-password",
    placeholder: service.has_api_key && !service.needs_reentry ? "•••••••• (saved)" : "Not set",
    "aria-invalid": service.needs_reentry ? "true" : null,
  });
  const options = schemaFields(service.config_schema, service.config, `${prefix}-opt`);
  const result = h("p", { class: "service-form__result", role: "status" });
  const testButton = h("button", { class: "btn", type: "button" }, icon("activity"), "Test connection");
  const saveButton = h("button", { class: "btn btn--primary", type: "submit" }, "Save");

  const values = () => {
    const payload = { url: url.value.trim() || null, enabled };
    if (options.length) payload.config = readFields(options);
    if (key.value) payload.api_key = key.value;
    return payload;
  };

  testButton.addEventListener("click", async () => {
    testButton.disabled = true;
    replace(result, h("span", { class: "spinner", "aria-hidden": "true" }), " Testing…");
    const unsaved = values();
    delete unsaved.enabled; // the test takes the connection's values, not whether it is used
    try {
      replace(result, testOutcome(await api.post("/api/admin/services/test", { name, ...unsaved }), title));
    } catch (error) {
      replace(result, statusPill("offline"), " ", error.message);
    } finally {
      testButton.disabled = false;
    }
  });

  const last = service.status;
  const form = h(
    "form",
    { class: "card form service-form", novalidate: true, "data-service-form": name },
    h(
      "div",
      { class: "service-form__head" },
      h("div", { class: "service-form__title" }, h("h3", {}, title), last ? statusPill(last.status) : null),
      toggleSwitch({
        checked: enabled,
        label: `Use ${title}`,
        onToggle: async (next) => {
          enabled = next;
        },
      }),
    ),
    service.plugin_enabled === false
      ? h("p", { class: "callout callout--warn" }, icon("info"), h("span", {}, `The ${title} plugin is off, so this connection isn't used. Turn it on under Plugins.`))
      : null,
    last && last.last_check_at
      ? h("p", { class: "field__hint" }, "Last checked ", timeElement(last.last_check_at), last.error ? ` · ${last.error}` : "")
      : null,
    h(
      "div",
      { class: "field-row" },
      field(url.id, "URL", url, "Where MediaNest reaches it on your network."),
      field(key.id, String(service.key_label || "API key"), key, keyHint(service)),
    ),
    options.length ? h("div", { class: "field-row" }, options.map((option) => option.element)) : null,
    h("div", { class: "form__actions" }, saveButton, testButton),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    saveButton.disabled = true;
    try {
      const saved = await api.put(`/api/admin/services/${encodeURIComponent(name)}`, values());
      key.value = "";
      if (saved && saved.has_api_key) key.placeholder = "•••••••• (saved)";
      key.removeAttribute("aria-invalid");
      toast(`${title} saved.`, { kind: "success" });
    } catch (error) {
      const fields = Object.entries(error.fields).map(([path, message]) => `${humanize(path.split(".").pop())}: ${message}`);
      toastError(fields.length ? { message: fields.join(" ") } : error, `Couldn't save ${title}`);
    } finally {
      saveButton.disabled = false;
    }
  });
  return form;
}

function render(data) {
  const services = itemsOf(data);
  if (services.length === 0) {
    replace(body, h("div", { class: "card" }, emptyState("server", "No services to connect", "Services come with plugins: turn one on under Plugins.")));
    return;
  }
  replace(body, services.map(serviceForm));
}

load("service connections", () => api.get("/api/admin/services"), render);
