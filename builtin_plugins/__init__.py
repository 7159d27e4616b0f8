"""reelkit's builtin plugins.

This list *is* the architecture: the kernel registers exactly these modules as builtins and nothing
else marks a module as core (pytest's ``default_plugins``). Each is a plugin like any third-party one.
"""

BUILTIN_PLUGINS: tuple[str, ...] = (
    "reelkit.builtin_plugins.filesystem",
    "reelkit.builtin_plugins.language",
    "reelkit.builtin_plugins.media",
    "reelkit.builtin_plugins.subtitles",
    "reelkit.builtin_plugins.compiler",
    "reelkit.builtin_plugins.recognition",
    "reelkit.builtin_plugins.security",
    "reelkit.builtin_plugins.cluster",
    "reelkit.sandbox.plugin",
)
