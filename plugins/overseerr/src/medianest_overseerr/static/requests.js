// My requests: badges follow `request:status` events without a reload.
import { badge } from "./http.js";
import { followRequests } from "./live.js";

followRequests("/ws/overseerr/requests", (request) => {
  const row = document.querySelector(`[data-request="${CSS.escape(String(request.id))}"]`);
  if (!row) {
    location.reload(); // a request made elsewhere (another tab, Overseerr itself): show it
    return;
  }
  row.querySelector("[data-request-badge]").replaceChildren(badge(request.status));
});
