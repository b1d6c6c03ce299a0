import { request } from "/static/web/js/api.js";

export const forecast = () => request("GET", "/api/weather/today");
