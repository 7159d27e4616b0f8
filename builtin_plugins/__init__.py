"""reelkit's builtin plugins.

This list *is* the architecture: the kernel registers exactly these modules as builtins and nothing
else marks a module as core (pytest's ``default_plugins``). Each is a plugin like any third-party one.
"""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "builtin_plugins.filesystem",
    "builtin_plugins.language",
    "builtin_plugins.media",
    "builtin_plugins.subtitles",
    "builtin_plugins.compiler",
    "builtin_plugins.recognition",
    "builtin_plugins.security",
    "sandbox.plugin",
)
