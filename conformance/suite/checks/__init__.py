"""Check modules, one per rule family; each registers plain functions with ``registry.check``."""
