"""The analysis backbone (dataops.ml)."""
