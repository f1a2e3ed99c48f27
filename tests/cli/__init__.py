"""What the command line prints (dataops.cli)."""
