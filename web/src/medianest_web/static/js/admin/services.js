// Admin → Services: each connection's URL, API key (write-only) and options, with
// "Test connection" (which may test unsaved values) and "Save".

import { api } from "../api.js";
import { emptyState, h, humanize, icon, replace } from "../dom.js";
import { serviceName, statusPill } from "../status.js";
import { toast, toastError } from "../toast.js";
import { body, itemsOf, load, toggleSwitch } from "./common.js";

// Options each first-party service is known to take, shown even before they are set.
const KNOWN_CONFIG = { uptime_kuma: ["status_page"] };

let formCount = 0;

function field(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "field__hint", id: hintId }, hint) : null);
}

function serviceForm(service) {
  formCount += 1;
  const prefix = `service-${formCount}`;
  const name = String(service.name);
  const title = serviceName(name);
  const config = { ...(service.config || {}) };
  for (const key of KNOWN_CONFIG[name] || []) if (!(key in config)) config[key] = "";

  const url = h("input", { id: `${prefix}-url`, name: "url", type: "url", value: service.url || "", placeholder: "http://192.168.1.10:32400", autocomplete: "off", spellcheck: "false" });
  const key = h("input", {
    id: `${prefix}-key`,
    name: "api_key",
    type: "password",
    autocomplete: "new-password",
    placeholder: service.api_key ? "Saved; type a new key to replace it" : "Not set",
  });
  const configInputs = Object.entries(config).map(([option, value]) => [
    option,
    h("input", { id: `${prefix}-${option}`, name: option, value: value === null || value === undefined ? "" : String(value), spellcheck: "false" }),
  ]);
  let enabled = service.enabled !== false;
  const result = h("p", { class: "service-form__result", role: "status" });
  const testButton = h("button", { class: "btn", type: "button" }, icon("activity"), "Test connection");
  const saveButton = h("button", { class: "btn btn--primary", type: "submit" }, "Save");

  const values = () => {
    const payload = { url: url.value.trim(), enabled, config: Object.fromEntries(configInputs.map(([option, input]) => [option, input.value.trim()])) };
    if (key.value) payload.api_key = key.value;
    return payload;
  };

  testButton.addEventListener("click", async () => {
    testButton.disabled = true;
    replace(result, h("span", { class: "spinner", "aria-hidden": "true" }), " Testing…");
    try {
      const outcome = await api.post("/api/admin/services/test", { name, ...values() });
      const status = outcome && (outcome.status || (outcome.ok === false ? "offline" : "online"));
      const detail = outcome && (outcome.error || outcome.message);
      const timing = outcome && Number.isFinite(outcome.response_time_ms) ? ` in ${Math.round(outcome.response_time_ms)} ms` : "";
      replace(result, statusPill(status), " ", detail ? String(detail) : `${title} answered${timing}.`);
    } catch (error) {
      replace(result, statusPill("offline"), " ", error.message);
    } finally {
      testButton.disabled = false;
    }
  });

  const form = h(
    "form",
    { class: "card form", novalidate: true },
    h(
      "div",
      { class: "service-form__head" },
      h("h3", {}, title),
      toggleSwitch({ checked: enabled, label: `Use ${title}`, onToggle: async (next) => { enabled = next; } }),
    ),
    h(
      "div",
      { class: "field-row" },
      field(url.id, "URL", url, "Where MediaNest reaches it on your network."),
      field(key.id, "API key", key, "Stored encrypted; never shown again."),
    ),
    configInputs.length ? h("div", { class: "field-row" }, configInputs.map(([option, input]) => field(input.id, humanize(option), input))) : null,
    h("div", { class: "form__actions" }, saveButton, testButton),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    saveButton.disabled = true;
    try {
      await api.put(`/api/admin/services/${encodeURIComponent(name)}`, values());
      key.value = "";
      key.placeholder = "Saved; type a new key to replace it";
      toast(`${title} saved.`, { kind: "success" });
    } catch (error) {
      const fields = Object.entries(error.fields || {}).map(([path, message]) => `${humanize(path.split(".").pop())}: ${message}`);
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
