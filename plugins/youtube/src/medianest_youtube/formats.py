"""yt-dlp's format selections, apart from the engine: the settings name them without loading
yt-dlp, which only the process that runs a download needs."""

# Best MP4 up to 1080p: video and audio merged by ffmpeg, else one file with both, else the
# best there is at or under 1080p, else whatever the site offers. `?`: a missing height passes.
DEFAULT_FORMAT = (
    "bv*[height<=?1080][ext=mp4]+ba[ext=m4a]/b[height<=?1080][ext=mp4]"
    "/bv*[height<=?1080]+ba/b[height<=?1080]/b"
)
