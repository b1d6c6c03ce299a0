"""`python -m medianest_overseerr.testing [--port 5055]`: serve the demo household until Ctrl+C."""

from __future__ import annotations

import argparse
import contextlib
import threading

from medianest_overseerr.testing import FakeOverseerr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a stand-in Overseerr on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    with FakeOverseerr.demo(port=args.port) as overseerr:
        print(f"Overseerr stand-in on {overseerr.url}  (X-Api-Key: {overseerr.api_key})")
        for user in overseerr.users:
            print(f"  user {user.id}: {user.display_name}, Plex id {user.plex_id}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
