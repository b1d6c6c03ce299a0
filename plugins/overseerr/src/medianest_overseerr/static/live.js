// A websocket that keeps itself open (reconnecting with a growing pause) and hands each
// `request:status` message to `onChange`. The session cookie authenticates it.

export function followRequests(path, onChange) {
  let pause = 1000;
  const open = () => {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${path}`);
    socket.addEventListener("open", () => {
      pause = 1000;
    });
    socket.addEventListener("message", (message) => {
      let parsed;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      if (parsed.event === "request:status" && parsed.data && parsed.data.request) onChange(parsed.data.request);
      if (parsed.event === "ready") document.documentElement.dataset.overseerrLive = "open";
    });
    socket.addEventListener("close", (closed) => {
      document.documentElement.dataset.overseerrLive = "closed";
      if (closed.code === 4401 || closed.code === 4403) return; // signed out or not allowed
      setTimeout(open, pause);
      pause = Math.min(pause * 2, 30000);
    });
  };
  open();
}
