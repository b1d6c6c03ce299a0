// Admin → Plugins: what is installed, who made it and what it adds (permissions, routes), its
// state and error, and a switch to turn it on or off.

import { api } from "../api.js";
import { emptyState, h, humanize, icon, replace } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { body, itemsOf, load, toggleSwitch } from "./common.js";
import { readFields, schemaFields } from "./fields.js";

const STATES = {
  enabled: ["badge--ok", "Enabled"],
  disabled: ["", "Disabled"],
  failed: ["badge--bad", "Failed"],
  incompatible: ["badge--warn", "Incompatible"],
};

function stateBadge(state) {
  const [variant, label] = STATES[state] || ["", humanize(state || "unknown")];
  return h("span", { class: `badge ${variant}` }, label);
}

/** The plugin's settings as a form (from its JSON Schema), folded away until opened. */
function settingsPanel(plugin, title) {
  const properties = plugin.settings_schema && plugin.settings_schema.properties;
  if (!properties || Object.keys(properties).length === 0) return null;
  const fields = schemaFields(plugin.settings_schema, plugin.settings || {}, `plugin-${String(plugin.name).replace(/\W/g, "-")}`);
  const errors = h("p", { class: "form-error", role: "alert", hidden: true });
  const save = h("button", { class: "btn btn--primary btn--sm", type: "submit" }, "Save settings");
  const form = h("form", { class: "form", novalidate: true }, h("div", { class: "field-row" }, fields.map((field) => field.element)), errors, h("div", { class: "form__actions" }, save));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.hidden = true;
    save.disabled = true;
    try {
      await api.put(`/api/admin/plugins/${encodeURIComponent(plugin.name)}`, { settings: readFields(fields) });
      toast(`${title} settings saved.`, { kind: "success" });
    } catch (error) {
      const problems = Object.entries(error.fields).map(([path, message]) => `${humanize(path.split(".").pop())}: ${message}`);
      errors.textContent = problems.length ? problems.join(" · ") : error.message;
      errors.hidden = false;
    } finally {
      save.disabled = false;
    }
  });
  return h("details", { class: "plugin__settings" }, h("summary", {}, icon("sliders"), "Settings"), form);
}

/** Where the plugin comes from: distribution, author, homepage, the MediaNest it needs. */
function provenance(plugin) {
  const homepage = String(plugin.homepage || "");
  const parts = [
    plugin.distribution ? h("span", { "data-field": "distribution" }, String(plugin.distribution)) : h("span", { "data-field": "distribution" }, "not an installed distribution"),
    plugin.author ? h("span", { "data-field": "author" }, `by ${plugin.author}`) : null,
    plugin.requires_core ? h("span", { "data-field": "requires-core" }, `needs MediaNest ${plugin.requires_core}`) : null,
    // Only web addresses become links: the metadata is the plugin author's to write.
    /^https?:\/\//i.test(homepage)
      ? h("a", { href: homepage, rel: "noopener noreferrer nofollow", "data-field": "homepage" }, "Homepage", icon("external"))
      : null,
  ].filter(Boolean);
  return h("p", { class: "plugin__meta" }, parts);
}

function routeLine(route) {
  const methods = route.websocket ? "WS" : (route.methods || []).join(" ");
  return h("li", {}, h("code", {}, `${methods} ${route.path}`), route.policy ? h("span", { class: "plugin__policy" }, String(route.policy)) : null);
}

/** The permissions and routes the plugin adds, folded away until opened. */
function additions(plugin) {
  const permissions = plugin.permissions || [];
  const routes = plugin.routes || [];
  const count = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return h(
    "details",
    { class: "plugin__adds" },
    h("summary", {}, icon("shield"), `Adds ${count(permissions.length, "permission")} · ${count(routes.length, "route")}`),
    h(
      "div",
      { class: "plugin__adds-body" },
      h("h4", {}, "Permissions"),
      permissions.length
        ? h(
            "ul",
            { class: "plugin__permissions" },
            permissions.map((permission) =>
              h("li", {}, h("code", {}, String(permission.name)), ` ${permission.description || ""}`, permission.default_roles && permission.default_roles.length ? h("span", { class: "plugin__policy" }, `default: ${permission.default_roles.join(", ")}`) : null),
            ),
          )
        : h("p", { class: "plugin__desc" }, "None."),
      h("h4", {}, "Routes"),
      routes.length ? h("ul", { class: "plugin__routes" }, routes.map(routeLine)) : h("p", { class: "plugin__desc" }, "None."),
    ),
  );
}

function pluginCard(plugin) {
  const title = String(plugin.title || humanize(plugin.name));
  const card = h("article", { class: "card plugin", "data-plugin": String(plugin.name) });
  const toggle = toggleSwitch({
    checked: plugin.enabled,
    label: `Enable ${title}`,
    onToggle: async (enabled) => {
      try {
        const saved = await api.put(`/api/admin/plugins/${encodeURIComponent(plugin.name)}`, { enabled });
        const updated = saved && saved.name ? saved : { ...plugin, enabled, state: enabled ? "enabled" : "disabled" };
        card.replaceWith(pluginCard(updated));
        document.querySelector(`[data-plugin="${CSS.escape(String(plugin.name))}"] .switch`)?.focus();
        toast(`${title} is ${enabled ? "on" : "off"}.`, { kind: "success" });
      } catch (error) {
        toastError(error, `Couldn't turn ${title} ${enabled ? "on" : "off"}`);
        throw error;
      }
    },
  });
  card.append(
    h("span", { class: "plugin__icon" }, icon("plug")),
    h(
      "div",
      {},
      h(
        "div",
        { class: "plugin__head" },
        h("h3", {}, title),
        plugin.version ? h("span", { class: "plugin__version" }, `v${plugin.version}`) : null,
        stateBadge(plugin.state),
      ),
      plugin.description ? h("p", { class: "plugin__desc" }, String(plugin.description)) : null,
      provenance(plugin),
      plugin.error ? h("pre", { class: "plugin__error" }, String(plugin.error)) : null,
      additions(plugin),
      settingsPanel(plugin, title),
    ),
    h("div", { class: "plugin__toggle" }, toggle),
  );
  return card;
}

function render(data) {
  const plugins = itemsOf(data);
  if (plugins.length === 0) {
    replace(
      body,
      h("div", { class: "card" }, emptyState("plug", "No plugins installed", "Install a MediaNest plugin with pip and restart; it shows up here.")),
    );
    return;
  }
  replace(body, plugins.map(pluginCard));
}

load("plugins", () => api.get("/api/admin/plugins"), render);
