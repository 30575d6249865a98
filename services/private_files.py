"""Files the product keeps on disk (SQLite databases, secrets) are its owner's only: 0600 in a 0700 directory."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """Create the directory (and parents) if needed and make it owner-only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)  # mkdir's mode does not apply to a directory that already existed
    return path


def private_file(path: Path) -> Path:
    """Create the file empty if needed and make it owner-only (SQLite gives its -wal and -shm files this mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace a file's content atomically, owner-only from the first byte (a unique temporary name per writer)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
