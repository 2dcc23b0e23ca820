"""Which files a rule set may read: its own folder and the shared `common` rule files.

An include, a lookup table's `file` or `settings.defaults_file` is written as a path relative
to the file that names it. It must not be absolute, and once resolved (`..` and symlinks
followed) it must lie inside the rule set's folder or a `common` folder beside it (the shipped
`mappings/common`); it must be a regular file. So a rule set cannot read /proc/self/environ,
/bin/ls or a secrets file next to the project, however the path is spelled.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from ..errors import Place, RuleError
from ..paths import mappings_dir


def allowed_roots(folder: Path) -> tuple[Path, ...]:
    """The folders a rule set in `folder` may read from."""
    folder = folder.resolve()
    roots = [folder, folder.parent / "common", mappings_dir() / "common"]
    return tuple(dict.fromkeys(root.resolve() for root in roots))


def confined(
    written: object, base: Path, roots: tuple[Path, ...], place: Place | None, what: str
) -> Path:
    """The file `written` (relative to the folder `base`) names, if a rule set may read it."""
    if not isinstance(written, str) or not written.strip():
        raise RuleError(f"{what} must be a relative file name, got {written!r}", place)
    if PurePosixPath(written).is_absolute() or PureWindowsPath(written).is_absolute():
        raise RuleError(
            f"{what} {written!r} is an absolute path; rule files name files relative to "
            "their rule set's folder",
            place,
        )
    target = (base / written).resolve()
    if not any(target == root or target.is_relative_to(root) for root in roots):
        raise RuleError(
            f"{what} {written!r} is outside the rule set's folder (and mappings/common)", place
        )
    if not target.is_file():
        raise RuleError(f"{what} {written!r} not found", place)
    return target
