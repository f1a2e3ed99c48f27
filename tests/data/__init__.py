"""The feed and the generator (dataops.data)."""
