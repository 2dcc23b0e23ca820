"""What start-up would otherwise redo on every command, kept on disk per machine: the rule
files and settings found valid, and the generated code compiled.

- `compiled(source, filename)`: Python's `compile()` of a rule set's stage function
  (codegen.py) and XML writer (xml_writer.py) is most of a command's first order (about 100 ms
  for the PrestaShop and Yuki rule sets), and the same rule files give the same source. The
  code is kept as Python keeps `__pycache__`: `marshal`'s bytes behind the interpreter's
  bytecode magic; a small source's (one rule's function, compiled when first called: some
  150 of them for one order) in one table for all of them.
- `StoredTable(kind, *version)`: values worked out from texts, one file for all of them, read
  once per process and written back at exit when it grew: the Jinja trees of the rule strings
  (parsing about 300 of them is a tenth of a second) and the Python they were translated to
  (expressions.py), the rule files as read, with where each value was written (load.py).
- `known_valid(*parts)` / `remember_valid(*parts)`: a rule file or a tenant's settings that its
  JSON Schema accepted (jsonschema's import and run are a tenth of a second); only what passed
  is remembered, so every problem is still found and said.

Entries are named by the SHA-256 of what they were made from (the source and its file name;
the schema and the data), so what is read back is what that exact input gives. The folder is
the user's own, like `__pycache__`: `MAPPER_CACHE_DIR`, else `$XDG_CACHE_HOME/mapper`, else
`~/.cache/mapper`; `MAPPER_CACHE_DIR=off` keeps nothing. Anything that goes wrong reading or
writing it (no folder, read-only, a damaged file) only means doing the work again.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import marshal
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

CACHE_ENV = "MAPPER_CACHE_DIR"
MIN_CACHED = 2_000  # characters: a smaller source compiles about as fast as a file is read
MAX_FILES = 256  # per folder; past this, the least recently written go
_OFF = ("", "off", "0", "no", "false")


def cache_folder(kind: str) -> Path | None:
    """Where entries of `kind` are kept, or None when the user turned the cache off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF else Path(chosen) / kind
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mapper" / kind


def source_digest(module_file: str) -> str:
    """The SHA-256 of a module's source (`__file__`): a version of what that module works out,
    for the table that keeps it."""
    return hashlib.sha256(Path(module_file).read_bytes()).hexdigest()


def _name(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


# -- compiled code ----------------------------------------------------------------------------
def compiled(source: str, filename: str) -> CodeType:
    """`compile(source, filename, "exec")`, read from the cache when it was compiled before."""
    if len(source) < MIN_CACHED:
        return _small_code(source, filename)
    folder = cache_folder("code")
    if folder is None:
        return compile(source, filename, "exec")
    path = folder / f"{_name(filename, source)}.code"
    code = _read(path)
    if code is None:
        code = compile(source, filename, "exec")
        _write(folder, path, MAGIC_NUMBER + marshal.dumps(code))
    return code


def _small_code(source: str, filename: str) -> CodeType:
    key = f"{filename}\0{source}"
    kept = _SMALL_CODE.get(key)
    if isinstance(kept, bytes):
        with contextlib.suppress(EOFError, ValueError, TypeError):
            code = marshal.loads(kept)
            if isinstance(code, CodeType):
                return code
    code = compile(source, filename, "exec")
    _SMALL_CODE.put(key, marshal.dumps(code))
    return code


def _read(path: Path) -> CodeType | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC_NUMBER):
        return None  # another Python's bytecode (or not ours at all)
    try:
        code = marshal.loads(data[len(MAGIC_NUMBER) :])
    except (EOFError, ValueError, TypeError):
        return None  # cut short or damaged: compiled again and written anew
    return code if isinstance(code, CodeType) else None


# -- values worked out from texts -------------------------------------------------------------
class StoredTable:
    """text → value, kept in one pickled file named by `kind` and `version` (what the values
    depend on besides the text: the library that made them, the code that asked)."""

    MAX_ENTRIES = 20_000  # past this the file starts over (rule files edited a great deal)
    MAX_TEXT = 4_000  # characters; a longer text's value is not kept (a hostile rule file's)

    def __init__(
        self,
        kind: str,
        *version: str,
        detach: Callable[[Any], object] | None = None,
        attach: Callable[[Any], object] | None = None,
    ) -> None:
        self.kind = kind
        self.name = _name(kind, *version)
        # What a value drops before it is written (a reference to this process's objects),
        # and takes back after.
        self.detach, self.attach = detach, attach
        self._entries: dict[str, Any] | None = None
        self._attached: set[str] = set()  # the texts whose value was taken back (`get`)
        self._grown = self._registered = False

    def get(self, text: str) -> Any:
        value = self._read().get(text)
        # Taken back when first asked for: the table holds the values of every rule set run
        # on this machine, and a command asks for those of one or two.
        if value is not None and self.attach is not None and text not in self._attached:
            self._attached.add(text)
            self.attach(value)
        return value

    def put(self, text: str, value: Any) -> None:
        if len(text) > self.MAX_TEXT:
            return
        entries = self._read()
        if len(entries) >= self.MAX_ENTRIES:
            entries.clear()
        entries[text] = value
        self._attached.add(text)  # a value of this process: nothing to take back
        if not self._registered:
            self._registered = True
            atexit.register(self.save)
        self._grown = True

    def save(self) -> None:
        folder = cache_folder(self.kind)
        if folder is None or not self._grown or self._entries is None:
            return
        values = [value for text, value in self._entries.items() if text in self._attached]
        try:
            self._each(self.detach, values)
            data = pickle.dumps(self._entries, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return
        finally:
            self._each(self.attach, values)
        _write(folder, folder / f"{self.name}.pickle", data)
        self._grown = False

    def _read(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = {}
            folder = cache_folder(self.kind)
            if folder is not None:
                with contextlib.suppress(Exception):  # none, damaged, another version: empty
                    loaded = pickle.loads((folder / f"{self.name}.pickle").read_bytes())
                    if isinstance(loaded, dict):
                        self._entries = loaded
        return self._entries

    @staticmethod
    def _each(action: Callable[[Any], object] | None, values: Iterable[Any]) -> None:
        if action is not None:
            for value in values:
                action(value)


# the code of small sources (`compiled`), by file name and source; Python's bytecode version
# names the table, as its magic number names a `.pyc`
_SMALL_CODE = StoredTable("code", "small", MAGIC_NUMBER.hex())


# -- what passed validation -------------------------------------------------------------------
def known_valid(*parts: str) -> bool:
    """Whether `parts` (a schema and the data it checked, as text) passed before."""
    folder = cache_folder("valid")
    return folder is not None and (folder / _name(*parts)).is_file()


def remember_valid(*parts: str) -> None:
    folder = cache_folder("valid")
    if folder is not None:
        _write(folder, folder / _name(*parts), b"")


def _write(folder: Path, path: Path, data: bytes) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    except OSError:
        return
    try:  # written whole under another name, then renamed: no reader sees half a file
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return
    with contextlib.suppress(OSError):  # another process may be pruning too
        _prune(folder)


def _prune(folder: Path) -> None:
    files = [file for file in folder.iterdir() if not file.name.endswith(".part")]
    if len(files) <= MAX_FILES:
        return
    files.sort(key=lambda file: file.stat().st_mtime)
    for stale in files[: len(files) - MAX_FILES]:
        stale.unlink(missing_ok=True)
