// Admin → Audit: the trail of changes and sign-ins, newest first, fifty at a time.

import { api } from "../api.js";
import { emptyState, formatDateTime, h, replace, timeElement } from "../dom.js";
import { toastError } from "../toast.js";
import { body, itemsOf, load } from "./common.js";

const PAGE_SIZE = 50;

function detailsText(details) {
  if (!details || typeof details !== "object" || Object.keys(details).length === 0) return "";
  return JSON.stringify(details);
}

function entryRow(entry) {
  const details = detailsText(entry.details);
  const when = entry.at || entry.created_at;
  return h(
    "tr",
    {},
    h("td", {}, when ? h("span", {}, formatDateTime(when), h("span", { class: "table__sub" }, timeElement(when))) : "—"),
    h("td", {}, String(entry.actor_name || entry.actor || "—")),
    h("td", {}, h("code", {}, String(entry.action || ""))),
    h("td", {}, String(entry.target || "")),
    h("td", {}, details ? h("div", { class: "details-json", title: details }, details) : ""),
    h("td", { class: "mono" }, String(entry.ip || "")),
  );
}

function render(first) {
  let shown = 0;
  const rows = h("tbody", {});
  const more = h("button", { class: "btn btn--sm", type: "button" }, "Show older entries");
  const foot = h("div", { class: "table-foot" }, more);

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
      add(await api.get(`/api/admin/audit?offset=${shown}&limit=${PAGE_SIZE}`));
    } catch (error) {
      toastError(error, "Couldn't load older entries");
    } finally {
      more.disabled = false;
    }
  });

  if (itemsOf(first).length === 0) {
    replace(body, emptyState("list", "Nothing recorded yet", "Sign-ins and admin changes are listed here as they happen."));
    return;
  }
  add(first);
  replace(
    body,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table" },
        h("caption", { class: "visually-hidden" }, "Audit trail"),
        h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Target", "Details", "Address"].map((label) => h("th", { scope: "col" }, label)))),
        rows,
      ),
    ),
    foot,
  );
}

load("the audit trail", () => api.get(`/api/admin/audit?offset=0&limit=${PAGE_SIZE}`), render);
