"""Domain errors of the filesystem plugin (kernel errors cover denial, absence and conflicts)."""

from __future__ import annotations

from reelkit.sdk import Conflict, InputInvalid, KernelError


class NotADirectory(Conflict):
    """A directory operation was asked of something that is not a directory."""

    code = "filesystem.not_a_directory"


class IsADirectory(Conflict):
    """A file operation was asked of a directory."""

    code = "filesystem.is_a_directory"


class FileTooLarge(Conflict):
    """A text read would exceed `filesystem.max_read_bytes`."""

    code = "filesystem.too_large"


class NotText(InputInvalid):
    """The file's bytes do not decode with the requested encoding."""

    code = "filesystem.not_text"


class TooManyWatches(Conflict):
    """`filesystem.max_watches` watches are already running."""

    code = "filesystem.too_many_watches"


class FilesystemError(KernelError):
    """The operating system failed an operation for a reason not covered above (disk full …)."""

    code = "filesystem.io_error"


class NotARegularFile(Conflict):
    """A read was asked of a pipe, socket or device, which could block or never end."""

    code = "filesystem.not_a_file"
