// Admin → Requests: approve or decline, and rows that follow changes made anywhere else.
import { api, badge } from "./http.js";
import { followRequests } from "./live.js";

function settle(row, status) {
  row.querySelector("[data-request-badge]").replaceChildren(badge(status));
  const actions = row.querySelector("[data-request-actions]");
  if (actions && status !== "pending") actions.remove();
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-decide]");
  if (!button) return;
  const row = button.closest("[data-request]");
  const buttons = row.querySelectorAll("[data-decide]");
  buttons.forEach((b) => (b.disabled = true));
  try {
    const decided = await api("POST", `/api/overseerr/requests/${button.dataset.id}/${button.dataset.decide}`);
    settle(row, decided.status);
  } catch (error) {
    buttons.forEach((b) => (b.disabled = false));
    row.querySelector("[data-request-badge]").replaceChildren(badge("failed", error.message));
  }
});

followRequests("/ws/overseerr/admin", (request) => {
  const row = document.querySelector(`[data-request="${CSS.escape(String(request.id))}"]`);
  if (row) settle(row, request.status);
});
