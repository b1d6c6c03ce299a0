// Search: the type filter searches again at once, and the request dialog (a show's seasons).
import { api, badge, STATUS_LABELS } from "./http.js";

const form = document.querySelector('form[role="search"]');
for (const radio of document.querySelectorAll("[data-overseerr-type]")) {
  radio.addEventListener("change", () => {
    if (form.elements.q.value.trim()) form.requestSubmit();
  });
}

const dialog = document.querySelector("[data-overseerr-dialog]");
const title = dialog.querySelector("[data-overseerr-dialog-title]");
const text = dialog.querySelector("[data-overseerr-dialog-text]");
const seasonsBox = dialog.querySelector("[data-overseerr-seasons]");
const seasonList = dialog.querySelector("[data-overseerr-season-list]");
const errorLine = dialog.querySelector("[data-overseerr-dialog-error]");
const confirm = dialog.querySelector("[data-overseerr-confirm]");
let chosen = null; // the button that opened the dialog

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-overseerr-request]");
  if (!button) return;
  chosen = button;
  const { type, title: name, year } = button.dataset;
  title.textContent = `Request ${name}${year ? ` (${year})` : ""}`;
  text.textContent = type === "tv" ? "Choose seasons, or leave them all unticked for every season." : "Overseerr will ask for this film as you.";
  seasonsBox.hidden = type !== "tv";
  seasonList.replaceChildren();
  errorLine.hidden = true;
  confirm.disabled = type === "tv"; // until the seasons are known
  dialog.showModal();
  if (type === "tv") loadSeasons(button.dataset.tmdbId);
});

async function loadSeasons(tmdbId) {
  try {
    const show = await api("GET", `/api/overseerr/tv/${encodeURIComponent(tmdbId)}/seasons`);
    seasonList.replaceChildren(...show.seasons.map(seasonBox));
    confirm.disabled = !show.seasons.some((season) => season.state === "none");
  } catch (error) {
    errorLine.textContent = error.message;
    errorLine.hidden = false;
  }
}

const SEASON_STATES = { available: "in Plex", partly: "partly in Plex", requested: "requested", pending: "pending" };

function seasonBox(season) {
  const label = document.createElement("label");
  const input = document.createElement("input");
  input.type = "checkbox";
  input.name = "season";
  input.value = String(season.number);
  input.disabled = season.state !== "none";
  const note = SEASON_STATES[season.state] ? ` (${SEASON_STATES[season.state]})` : "";
  label.append(input, ` ${season.name}${note}`);
  return label;
}

dialog.addEventListener("close", async () => {
  if (dialog.returnValue !== "confirm" || !chosen) return;
  const { tmdbId, type } = chosen.dataset;
  const seasons = [...seasonList.querySelectorAll("input:checked")].map((input) => Number(input.value));
  const body = { media_type: type, tmdb_id: Number(tmdbId) };
  if (type === "tv" && seasons.length) body.seasons = seasons;
  const cell = chosen.closest("[data-overseerr-state]");
  chosen.disabled = true;
  try {
    const made = await api("POST", "/api/media/request", body);
    cell.replaceChildren(badge(made.status, `Yours: ${STATUS_LABELS[made.status] || made.status}`));
  } catch (error) {
    chosen.disabled = false;
    errorLine.textContent = error.message;
    errorLine.hidden = false;
    dialog.showModal(); // say why, in the dialog, and let them try other seasons
  }
});
