// Admin → Users: role and status per person, and removal (with a second click to confirm).

import { api } from "../api.js";
import { emptyState, formatDateTime, h, replace, timeElement } from "../dom.js";
import { toast, toastError } from "../toast.js";
import { body, itemsOf, load } from "./common.js";

const CONFIRM_WINDOW_MS = 5000;

function select(name, value, options, label, onChange) {
  const element = h(
    "select",
    { class: "select--sm", name, "aria-label": label },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === value }, text)),
  );
  let saved = value;
  element.addEventListener("change", async () => {
    element.disabled = true;
    try {
      await onChange(element.value);
      saved = element.value;
    } catch (error) {
      element.value = saved;
      toastError(error, "Couldn't save that change");
    } finally {
      element.disabled = false;
    }
  });
  return element;
}

function deleteButton(user, row) {
  const button = h("button", { class: "btn btn--sm btn--ghost", type: "button" }, "Remove");
  let armed = null;
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = "Confirm removal";
      button.classList.replace("btn--ghost", "btn--danger");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = "Remove";
        button.classList.replace("btn--danger", "btn--ghost");
      }, CONFIRM_WINDOW_MS);
      return;
    }
    clearTimeout(armed);
    button.disabled = true;
    try {
      await api.delete(`/api/admin/users/${encodeURIComponent(user.id)}`);
      row.remove();
      toast(`${user.username} was removed.`, { kind: "success" });
    } catch (error) {
      button.disabled = false;
      toastError(error, `Couldn't remove ${user.username}`);
    }
  });
  return button;
}

function userRow(user) {
  const name = String(user.username);
  const path = `/api/admin/users/${encodeURIComponent(user.id)}`;
  const row = h("tr", {});
  row.append(
    h(
      "td",
      {},
      h(
        "div",
        { class: "table__user" },
        h("span", { class: "avatar", "aria-hidden": "true" }, name.slice(0, 1).toUpperCase()),
        h("span", {}, name, h("span", { class: "table__sub" }, String(user.email || user.plex_username || (user.plex_id ? "Plex account" : "Local account")))),
      ),
    ),
    h("td", {}, select("role", user.role, [["user", "Member"], ["admin", "Admin"]], `Role of ${name}`, (role) => api.put(path, { role }))),
    h(
      "td",
      {},
      select("status", user.status, [["active", "Active"], ["disabled", "Disabled"]], `Status of ${name}`, (status) => api.put(path, { status })),
    ),
    h("td", {}, user.last_login_at ? timeElement(user.last_login_at) : h("span", { class: "muted" }, "Never")),
    h("td", { class: "num" }, deleteButton(user, row)),
  );
  row.title = user.created_at ? `Joined ${formatDateTime(user.created_at)}` : "";
  return row;
}

function render(data) {
  const users = itemsOf(data);
  if (users.length === 0) {
    replace(body, emptyState("users", "No one here yet", "People appear here after they first sign in with Plex."));
    return;
  }
  replace(
    body,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table" },
        h("caption", { class: "visually-hidden" }, "Users"),
        h("thead", {}, h("tr", {}, ["User", "Role", "Status", "Last sign-in", ""].map((label) => h("th", { scope: "col" }, label)))),
        h("tbody", {}, users.map(userRow)),
      ),
    ),
  );
}

load("users", () => api.get("/api/admin/users"), render);
