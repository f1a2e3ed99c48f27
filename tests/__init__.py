"""The tests: one folder per folder of the package (scripts/dataops), project/ for dbt."""
