"""Project error types. Every user-facing error says what is wrong and how to fix it."""

from __future__ import annotations


class GanforgeError(ValueError):
    """Bad input or state the user can fix; the CLI prints it and exits with code 2."""


class DataError(GanforgeError):
    """A dataset is missing, corrupt, truncated or fails its checksum."""


class ConfigError(GanforgeError):
    """A configuration key or value is invalid."""


class WriteError(GanforgeError):
    """A file could not be written (disk full, file-size limit, no permission). The write was atomic: the file's
    previous version, if any, is untouched and no partial file is left. The CLI exits with code 74."""


class CheckpointMismatch(GanforgeError):
    """A checkpoint's tensors do not fit the network built from the config (its shapes or parameter names
    differ): the config describes another architecture than the one that was trained."""
