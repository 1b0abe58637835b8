"""The operation registry that service tasks call. Import from ``engine.services.catalog``
to get the complete registry."""
