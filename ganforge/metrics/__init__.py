"""Stand-alone metrics on arrays, folders or generators; imports nothing from training code."""
