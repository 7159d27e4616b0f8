"""A reelkit plugin that cannot be imported: it needs a module nobody installed.

The kernel must report it as failed (`reelkit plugins list`, `kernel.health`) and serve on without it.
"""

import reelkit_example_dependency_that_is_not_installed  # noqa: F401

from reelkit.sdk import hookimpl


@hookimpl
def reelkit_setup(ctx) -> None:  # never reached
    raise AssertionError("unreachable")
