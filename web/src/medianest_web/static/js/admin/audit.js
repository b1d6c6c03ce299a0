// Admin → Audit: the trail of changes and sign-ins, newest first, fifty at a time,
// optionally only one kind of action.

import { api } from "../api.js";
import { emptyState, formatDateTime, h, replace, timeElement } from "../dom.js";
import { toastError } from "../toast.js";
import { body, done, itemsOf, load } from "./common.js";

const PAGE_SIZE = 50;
const KINDS = [
  ["", "Everything"],
  ["auth.", "Sign-ins and passwords"],
  ["admin.", "Admin changes"],
];

function detailsText(details) {
  if (!details || typeof details !== "object" || Object.keys(details).length === 0) return "";
  return JSON.stringify(details);
}

function entryRow(entry) {
  const details = detailsText(entry.details);
  return h(
    "tr",
    {},
    h("td", {}, entry.at ? h("span", {}, formatDateTime(entry.at), h("span", { class: "table__sub" }, timeElement(entry.at))) : "—"),
    h("td", { "data-label": "Who" }, String(entry.actor_name || "—")),
    h("td", { "data-label": "Action" }, h("code", {}, String(entry.action || ""))),
    entry.target ? h("td", { "data-label": "Target" }, String(entry.target)) : h("td", { class: "table__empty" }),
    details ? h("td", { "data-label": "Details" }, h("div", { class: "details-json", title: details }, details)) : h("td", { class: "table__empty" }),
    entry.ip ? h("td", { "data-label": "Address", class: "mono" }, String(entry.ip)) : h("td", { class: "table__empty" }),
  );
}

function fetchPage(action, offset) {
  const query = new URLSearchParams({ offset, limit: PAGE_SIZE });
  if (action) query.set("action", action);
  return api.get(`/api/admin/audit?${query}`);
}

function trail(first, action) {
  if (itemsOf(first).length === 0) {
    return emptyState("list", "Nothing recorded yet", "Sign-ins and admin changes are listed here as they happen.");
  }
  const rows = h("tbody", {});
  const more = h("button", { class: "btn btn--sm", type: "button" }, "Show older entries");
  const foot = h("div", { class: "table-foot" }, more);
  let shown = 0;
  const add = (data) => {
    const entries = itemsOf(data);
    rows.append(...entries.map(entryRow));
    shown += entries.length;
    const total = Number.isFinite(data && data.total) ? data.total : shown;
    foot.hidden = entries.length === 0 || shown >= total;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      add(await fetchPage(action, shown));
    } catch (error) {
      toastError(error, "Couldn't load older entries");
    } finally {
      more.disabled = false;
    }
  });
  add(first);
  return [
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table table--stack" },
        h("caption", { class: "visually-hidden" }, "Audit trail"),
        h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Target", "Details", "Address"].map((label) => h("th", { scope: "col" }, label)))),
        rows,
      ),
    ),
    foot,
  ];
}

function render(first) {
  const results = h("div", { class: "card card--flush" }, trail(first, ""));
  const kind = h(
    "select",
    { "aria-label": "Show", class: "select--sm" },
    KINDS.map(([value, label]) => h("option", { value }, label)),
  );
  kind.addEventListener("change", async () => {
    kind.disabled = true;
    try {
      replace(results, trail(await fetchPage(kind.value, 0), kind.value));
    } catch (error) {
      toastError(error, "Couldn't filter the trail");
    } finally {
      kind.disabled = false;
    }
  });
  replace(body, h("div", { class: "toolbar" }, kind), results);
  done();
}

load("the audit trail", () => fetchPage("", 0), render);
