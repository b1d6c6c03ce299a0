"""YouTube playlist downloads for MediaNest (the engine: URL checks, file names, yt-dlp)."""
