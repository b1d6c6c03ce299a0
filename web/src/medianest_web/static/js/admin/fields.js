// Form fields from a JSON Schema (what pydantic's model_json_schema() gives): the options of a
// service connection and a plugin's settings are edited with the same few input kinds.
//
//   const fields = schemaFields(schema, values, "weather-settings");
//   form.append(...fields.map((f) => f.element));
//   const body = Object.fromEntries(fields.map((f) => [f.name, f.read()]));

import { h, humanize } from "../dom.js";

/** The schema of one property with `anyOf: [X, null]` (an optional field) folded into X. */
function resolve(property) {
  const options = property.anyOf || property.oneOf;
  if (!Array.isArray(options)) return property;
  const chosen = options.find((option) => option.type !== "null") || {};
  return { ...chosen, ...property, anyOf: undefined, oneOf: undefined, nullable: options.some((option) => option.type === "null") };
}

/** A title someone wrote, not pydantic's automatic "Cache Seconds" for `cache_seconds`. */
function explicitTitle(title, name) {
  if (!title) return null;
  const automatic = name.split("_").map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(" ");
  return title === automatic ? null : title;
}

function kindOf(schema, value) {
  if (Array.isArray(schema.enum)) return "enum";
  if (schema.writeOnly || schema.format === "password") return "secret";
  if (schema.type === "array") return "list";
  if (schema.type) return schema.type;
  return typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string";
}

function labelled(id, label, input, hint) {
  const hintId = hint ? `${id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "field__hint", id: hintId }, hint) : null);
}

/** One field: `{name, element, read}`; `read()` gives the value to send. */
export function schemaField(name, property, value, idPrefix) {
  const schema = resolve(property || {});
  const id = `${idPrefix}-${name.replace(/[^\w-]/g, "-")}`;
  const label = String(explicitTitle(schema.title, name) || humanize(name));
  const hint = schema.description ? String(schema.description) : null;
  const current = value ?? schema.default ?? null;

  switch (kindOf(schema, current)) {
    case "boolean": {
      const input = h("input", { type: "checkbox", id, checked: Boolean(current) });
      const element = h("div", { class: "field" }, h("label", { class: "check" }, input, h("span", {}, label)), hint ? h("p", { class: "field__hint" }, hint) : null);
      return { name, element, read: () => input.checked };
    }
    case "integer":
    case "number": {
      const input = h("input", {
        id,
        type: "number",
        step: schema.type === "integer" ? 1 : "any",
        min: schema.minimum ?? schema.exclusiveMinimum ?? null,
        max: schema.maximum ?? schema.exclusiveMaximum ?? null,
        value: current ?? "",
      });
      return { name, element: labelled(id, label, input, hint), read: () => (input.value === "" ? null : Number(input.value)) };
    }
    case "enum": {
      const input = h("select", { id }, schema.enum.map((option) => h("option", { value: String(option), selected: option === current }, String(option))));
      return { name, element: labelled(id, label, input, hint), read: () => schema.enum.find((option) => String(option) === input.value) };
    }
    case "list": {
      const items = Array.isArray(current) ? current : [];
      const input = h("textarea", { id, rows: Math.min(8, Math.max(3, items.length + 1)), spellcheck: "false" }, items.join("\n"));
      const listHint = [hint, "One per line."].filter(Boolean).join(" ");
      const read = () => input.value.split("\n").map((line) => line.trim()).filter(Boolean);
      return { name, element: labelled(id, label, input, listHint), read };
    }
    case "secret": {
      // The API shows a stored secret masked; sending the mask back keeps it.
      const input = h("input", { id, type: "password", autocomplete: "new-password", placeholder: current ? "•••••••• (saved)" : "Not set" });
      return { name, element: labelled(id, label, input, hint), read: () => input.value || current };
    }
    default: {
      const input = h("input", { id, type: "text", value: current ?? "", spellcheck: "false" });
      const read = () => (input.value === "" && schema.nullable ? null : input.value.trim());
      return { name, element: labelled(id, label, input, hint), read };
    }
  }
}

/** Fields for every property of `schema`, and for values it does not describe. */
export function schemaFields(schema, values = {}, idPrefix = "field") {
  const properties = (schema && schema.properties) || {};
  const names = [...new Set([...Object.keys(properties), ...Object.keys(values || {})])];
  return names.map((name) => schemaField(name, properties[name], (values || {})[name], idPrefix));
}

/** `{name: value}` from fields. */
export function readFields(fields) {
  return Object.fromEntries(fields.map((field) => [field.name, field.read()]));
}
