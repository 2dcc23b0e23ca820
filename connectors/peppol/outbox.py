"""The outbox: one UBL file per document, `<outbox>/<shop>/<document id>.xml`, each written
atomically and never twice.

A document is written to a hidden temporary file in the same folder, flushed to disk (fsync),
then published under its final name with a hard link, which fails if that name exists: a
reader (the access point) never sees half a file, and a document already in the outbox is
never replaced. On a file system without hard links, the name is checked and `os.replace`
publishes it. The folder itself is fsynced after, so the name survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote

SUFFIX = ".xml"


def file_name(document_id: str) -> str:
    """The file a document id is kept in: the id with what a file name cannot hold escaped
    (`/` → `%2F`), so two ids never share a file. `FA/2026/7` → `FA%2F2026%2F7.xml`."""
    name = quote(document_id, safe="-_.")
    if name.startswith("."):  # no hidden files (they are the temporary ones), no `..`
        name = "%2E" + name[1:]
    return name + SUFFIX


def document_id(name: str) -> str:
    """The document id a file of the outbox holds (`file_name` undone)."""
    return unquote(name.removesuffix(SUFFIX))


class Outbox:
    """One shop's folder of the outbox."""

    def __init__(self, root: Path, shop: str) -> None:
        self.folder = root / file_name(shop).removesuffix(SUFFIX)

    def path(self, document: str) -> Path:
        return self.folder / file_name(document)

    def holds(self, document: str) -> bool:
        return self.path(document).is_file()

    def write(self, document: str, content: bytes) -> bool:
        """Publish `content` as `document`; False when the outbox already holds it (it is
        then left as it is). Raises OSError when it cannot be written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.path(document)
        descriptor, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(content)
                stream.flush()
                os.fsync(stream.fileno())
            if not _publish(Path(temporary), final):
                return False
            _sync_folder(self.folder)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def documents(self) -> list[str]:
        """The document ids the outbox holds (temporary files left by a crash are not)."""
        if not self.folder.is_dir():
            return []
        return sorted(
            document_id(p.name)
            for p in self.folder.iterdir()
            if p.suffix == SUFFIX and not p.name.startswith(".")
        )


def _publish(temporary: Path, final: Path) -> bool:
    try:
        os.link(temporary, final)
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some network shares): check, then replace
        if final.exists():
            return False
        os.replace(temporary, final)
    return True


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:  # a platform that cannot open folders (Windows): nothing to sync
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
