"""Admin-managed configuration: service connections and system settings."""
