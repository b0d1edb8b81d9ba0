"""Project error types. Every user-facing error says what is wrong and how to fix it."""

from __future__ import annotations


class GanforgeError(ValueError):
    """Bad input or state the user can fix; the CLI prints it and exits with code 2."""


class DataError(GanforgeError):
    """A dataset is missing, corrupt, truncated or fails its checksum."""


class ConfigError(GanforgeError):
    """A configuration key or value is invalid."""
