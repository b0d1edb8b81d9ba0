"""Command line: ``ganforge train | sample | presets | models | losses | datasets``."""
