"""The recurrent model zoo: one contract (base.py), one registry (registry.py)."""
