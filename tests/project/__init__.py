"""The dbt project itself: models, seeds, rules, governance, Spark parity, incremental builds."""
