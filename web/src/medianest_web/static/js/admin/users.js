// Admin → Users: search, role and status per person, permissions on top of the role,
// sign-out everywhere, and removal (with a second click to confirm). Your own row cannot
// demote, disable or remove you.

import { api } from "../api.js";
import { emptyState, formatDateTime, h, humanize, icon, replace, timeElement } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { body, done, itemsOf, load, section } from "./common.js";

const CONFIRM_WINDOW_MS = 5000;
const PAGE_SIZE = 50;
const viewerId = section.dataset.viewer || "";
let declared = null; // the permissions plugins declare, fetched when a panel first opens

function declaredPermissions() {
  declared ??= api.get("/api/admin/permissions").then(itemsOf).catch((error) => {
    declared = null; // try again next time
    throw error;
  });
  return declared;
}

function select(value, options, label, onChange, disabled) {
  const element = h(
    "select",
    { class: "select--sm", "aria-label": label, disabled },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
  );
  let saved = value;
  element.addEventListener("change", async () => {
    element.disabled = true;
    try {
      await onChange(element.value);
      saved = element.value;
      toast("Saved.", { kind: "success", timeout: 2500 });
    } catch (error) {
      element.value = saved;
      toastError(error, "Couldn't save that change");
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

/** A button that asks for a second click within a few seconds before `action` runs. */
function confirmingButton(label, confirmLabel, action) {
  const button = h("button", { class: "btn btn--sm btn--ghost", type: "button" }, label);
  let armed = null;
  const disarm = () => {
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.replace("btn--danger", "btn--ghost");
  };
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = confirmLabel;
      button.classList.replace("btn--ghost", "btn--danger");
      armed = setTimeout(disarm, CONFIRM_WINDOW_MS);
      return;
    }
    disarm();
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  button.addEventListener("blur", () => armed && disarm());
  return button;
}

/** The permissions a person holds, each a checkbox: what differs from their role's default
 *  is a per-user grant; matching the default again removes the grant. */
function permissionsPanel(user, permissions, onSaved) {
  const name = String(user.username);
  const isAdmin = user.role === "admin";
  const held = new Set(user.permissions || []);
  const grants = user.grants || {};
  const boxes = permissions.map((permission) => {
    const byRole = (permission.default_roles || []).includes(user.role);
    const input = h("input", { type: "checkbox", checked: held.has(permission.name), disabled: isAdmin, "data-permission": permission.name });
    const note = isAdmin ? "admins hold every permission" : permission.name in grants ? `set for ${name}` : "from the role";
    input.addEventListener("change", async () => {
      input.disabled = true;
      const wanted = input.checked;
      try {
        const saved = await api.put(`/api/admin/users/${encodeURIComponent(user.id)}`, {
          permissions: { [permission.name]: wanted === byRole ? null : wanted },
        });
        toast("Saved.", { kind: "success", timeout: 2500 });
        onSaved(saved);
      } catch (error) {
        input.checked = !wanted;
        input.disabled = false;
        toastError(error, "Couldn't change that permission");
      }
    });
    return h(
      "label",
      { class: "check permission" },
      input,
      h("span", {}, String(permission.description || permission.name), " ", h("small", { class: "muted" }, `${permission.name} · ${note}`)),
    );
  });
  return h(
    "fieldset",
    { class: "permissions" },
    h("legend", {}, `Permissions of ${name}`),
    boxes.length ? boxes : h("p", { class: "muted" }, "No plugin declares a permission yet."),
  );
}

/** Opens the panel under `row`; redraws it when the row says the user changed (their role). */
function permissionsButton(user, row) {
  const button = h("button", { class: "btn btn--sm btn--ghost", type: "button", "aria-expanded": "false" }, "Permissions");
  let detail = null;
  let show = null;
  row.addEventListener("user-changed", () => show?.(user));
  const close = () => {
    detail?.remove();
    detail = null;
    show = null;
    button.setAttribute("aria-expanded", "false");
  };
  const open = async () => {
    button.disabled = true;
    try {
      const permissions = await declaredPermissions();
      const cell = h("td", { colspan: "5" });
      show = (current) => replace(cell, permissionsPanel(Object.assign(user, current), permissions, show));
      show(user);
      detail = h("tr", { class: "table__detail", "data-permissions-for": String(user.id) }, cell);
      row.after(detail);
      button.setAttribute("aria-expanded", "true");
    } catch (error) {
      toastError(error, "Couldn't load the permissions");
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener("click", () => (detail ? close() : open()));
  return button;
}

/** Under the name: the email, else the accounts linked through sign-in plugins, else "Local account". */
export function accountNote(user) {
  if (user.email) return String(user.email);
  const linked = (Array.isArray(user.linked_accounts) ? user.linked_accounts : [])
    .filter((account) => account && account.username)
    .map((account) => `${String(account.title || humanize(account.provider || "account"))}: ${String(account.username)}`);
  return linked.length ? linked.join(" · ") : "Local account";
}

function userRow(user) {
  const name = String(user.username);
  const path = `/api/admin/users/${encodeURIComponent(user.id)}`;
  const self = String(user.id) === viewerId;
  const row = h("tr", { "data-user": String(user.id) });
  const signOut = confirmingButton("Sign out", "Confirm sign-out", async () => {
    try {
      const result = await api.delete(`${path}/sessions`);
      toast(`${name} was signed out everywhere (${result && Number.isFinite(result.ended) ? result.ended : 0} sessions).`, { kind: "success" });
    } catch (error) {
      toastError(error, `Couldn't sign ${name} out`);
    }
  });
  const remove = confirmingButton("Remove", "Confirm removal", async () => {
    try {
      await api.delete(path);
      row.remove();
      toast(`${name} was removed.`, { kind: "success" });
    } catch (error) {
      toastError(error, `Couldn't remove ${name}`);
    }
  });
  row.append(
    h(
      "td",
      {},
      h(
        "div",
        { class: "table__user" },
        h("span", { class: "avatar", "aria-hidden": "true" }, name.slice(0, 1).toUpperCase()),
        h(
          "span",
          {},
          name,
          self ? h("span", { class: "badge badge--accent table__you" }, "You") : null,
          h("span", { class: "table__sub" }, accountNote(user)),
        ),
      ),
    ),
    h("td", { "data-label": "Role" }, select(user.role, [["user", "Member"], ["admin", "Admin"]], `Role of ${name}`, async (role) => {
      Object.assign(user, await api.put(path, { role }));
      row.dispatchEvent(new Event("user-changed"));
    }, self)),
    h(
      "td",
      { "data-label": "Status" },
      select(user.status, [["active", "Active"], ["disabled", "Disabled"]], `Status of ${name}`, (status) => api.put(path, { status }), self),
    ),
    h("td", { "data-label": "Last sign-in" }, user.last_login_at ? timeElement(user.last_login_at) : h("span", { class: "muted" }, "Never")),
    h("td", { class: "table__actions" }, permissionsButton(user, row), self ? null : [signOut, remove]),
  );
  if (user.created_at) row.title = `Joined ${formatDateTime(user.created_at)}`;
  return row;
}

function usersTable(first, query) {
  const rows = h("tbody", {}, itemsOf(first).map(userRow));
  let shown = itemsOf(first).length;
  const more = h("button", { class: "btn btn--sm", type: "button" }, "Show more");
  const foot = h("div", { class: "table-foot" }, more);
  foot.hidden = shown >= (first.total ?? shown);
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const next = await api.get(`/api/admin/users?${new URLSearchParams({ q: query, offset: shown, limit: PAGE_SIZE })}`);
      rows.append(...itemsOf(next).map(userRow));
      shown += itemsOf(next).length;
      foot.hidden = itemsOf(next).length === 0 || shown >= (next.total ?? shown);
    } catch (error) {
      toastError(error, "Couldn't load more people");
    } finally {
      more.disabled = false;
    }
  });
  return [
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table table--stack" },
        h("caption", { class: "visually-hidden" }, "Users"),
        h("thead", {}, h("tr", {}, ["User", "Role", "Status", "Last sign-in", ""].map((label) => h("th", { scope: "col" }, label)))),
        rows,
      ),
    ),
    foot,
  ];
}

function fetchUsers(query) {
  return api.get(`/api/admin/users?${new URLSearchParams({ q: query, offset: 0, limit: PAGE_SIZE })}`);
}

function render(data, query = "") {
  const results = h("div", { class: "card card--flush" });
  const search = h("input", { type: "search", class: "search", placeholder: "Find someone by name or email", "aria-label": "Find a user", value: query });
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        fill(await fetchUsers(search.value.trim()), search.value.trim());
      } catch (error) {
        toastError(error, "Search didn't work");
      }
    }, 250);
  });
  const fill = (found, q) => {
    if (itemsOf(found).length === 0) {
      replace(results, emptyState("users", q ? "No one matches" : "No one here yet", q ? "Try part of a name or an email address." : "People appear here after they first sign in."));
    } else {
      replace(results, usersTable(found, q));
    }
  };
  fill(data, query);
  replace(body, h("div", { class: "toolbar" }, h("label", { class: "search-field" }, icon("user"), search)), results);
  done();
}

load("users", () => fetchUsers(""), (data) => render(data));
