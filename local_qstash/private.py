"""Owner-only storage: a 0700 data directory and 0600 files, whatever the process umask."""

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_dir(path: Path) -> None:
    """Create the directory if needed and make it owner-only (an older one may be wider)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    # mkdir's mode is filtered by the umask and ignored for an existing directory: set it explicitly.
    os.chmod(path, DIR_MODE)


def create_file(path: Path) -> None:
    """Create an empty owner-only file (fails if it exists)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away (e.g. 0o200): put them back
    finally:
        os.close(fd)


def tighten(*paths: Path) -> None:
    """Make existing files owner-only; missing ones are skipped."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.chmod(path, FILE_MODE)


def write_text(path: Path, text: str) -> None:
    """Replace a file's content atomically with an owner-only file."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # a leftover .tmp keeps its old mode on O_TRUNC
        handle.write(text)
    os.replace(tmp, path)
