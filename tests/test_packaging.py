"""The package as a user gets it: built into a wheel and an sdist, installed into a fresh venv.

The first two tests read pyproject.toml only. The rest build the sdist and, from it, the wheel
(as pip does when it installs from the sdist), install the wheel with its dependencies into a
new virtualenv, and run the installed `mapper` from an unrelated folder with PYTHONPATH removed:
nothing may come from the checkout. Building needs `build` (the dev extra) and an index pip can
reach (PyPI, or pip's cache); where that is missing the tests fail and say so.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = ("engine", "connectors", "commands")
DATA_FOLDERS = ("mappings", "schemas")
NOT_SOURCE = (
    ".git",
    ".venv",
    "venv",
    "build",
    "dist",
    "__pycache__",
    "*.egg-info",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "*.db",
    "*.sqlite",
    "*.pyc",
)
DEMO_LISTS = ("Reporting", "Errors", "Open")  # the manual's three lists
DROPPED_FROM_ENV = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV")


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_source_package_is_listed_in_pyproject() -> None:
    listed = set(pyproject()["tool"]["setuptools"]["packages"])  # type: ignore[index]
    on_disk = {"mapper"} | {
        ".".join(("mapper", *init.parent.relative_to(ROOT).parts))
        for top in SOURCE_PACKAGES
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert sorted(on_disk - listed) == [], "add these to [tool.setuptools] packages"
    assert sorted(listed - on_disk) == [], "these are listed but have no __init__.py"


def test_every_system_folder_has_a_connector_entry_point() -> None:
    group = pyproject()["project"]["entry-points"]["mapper.connectors"]  # type: ignore[index]
    # VIES is a service the sync asks (engine/sync/vies.py), not a shop or an accounting system.
    services = {"vies"}
    systems = sorted(
        p.parent.name
        for p in (ROOT / "connectors").glob("*/__init__.py")
        if p.parent.name not in services
    )
    assert systems, "no system folders under connectors/"
    assert sorted(group) == systems
    for system in systems:
        assert group[system] == f"mapper.connectors.{system}:CONNECTOR"


# --- built and installed -------------------------------------------------------------------


@dataclass(frozen=True)
class Installed:
    """A source copy, what was built from it, and a fresh venv holding the wheel."""

    source: Path
    wheel: Path
    sdist: Path
    venv: Path
    elsewhere: Path  # an unrelated working folder
    env: dict[str, str]

    @property
    def mapper(self) -> str:
        return str(self.venv / "bin" / "mapper")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.mapper, *args],
            cwd=self.elsewhere,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def must(
    command: list[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> None:
    """Run a build step; fail the tests with its command and last lines of output if it fails."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        pytest.fail(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n{tail}", pytrace=False
        )


def clean_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_FROM_ENV}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"  # the simulator's "listening on" line arrives at once
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.fail("building needs `build`: pip install -e '.[dev]'", pytrace=False)
    base = tmp_path_factory.mktemp("packaging")
    source, dist, venv, elsewhere = (base / n for n in ("source", "dist", "venv", "elsewhere"))
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    elsewhere.mkdir()
    # Without a wheel target of its own, `build` makes the sdist, then the wheel from the sdist.
    must([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], "building")
    wheel, sdist = next(dist.glob("mapper-*.whl")), next(dist.glob("mapper-*.tar.gz"))
    must([sys.executable, "-m", "venv", "--without-pip", str(venv)], "creating a venv")
    env = clean_env(venv)
    must(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        "installing the wheel",
        env=env,
        cwd=elsewhere,
    )
    yield Installed(source, wheel, sdist, venv, elsewhere, env)


def files_under(root: Path, *folders: str) -> set[str]:
    """Every file below root/folder, as a /-separated path relative to root."""
    return {
        path.relative_to(root).as_posix()
        for folder in folders
        for path in (root / folder).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_the_wheel_holds_the_code_and_everything_it_reads(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    tops = {name.split("/", 1)[0] for name in names}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"mapper"}  # no top-level engine/, connectors/, cli.py
    assert len(dist_info) == 1
    for required in (
        "mapper/mappings/prestashop/mapping.yaml",
        "mapper/schemas/mapping.schema.json",
        "mapper/schemas/yuki/Sales.asmx.wsdl",
        "mapper/cli.py",
        "mapper/py.typed",
    ):
        assert required in names
    wsdls = {f"mapper/{p}" for p in files_under(installed.source, "schemas") if p.endswith(".wsdl")}
    assert wsdls and wsdls <= names
    shipped = files_under(installed.source, *SOURCE_PACKAGES, *DATA_FOLDERS)
    assert "engine/mapping.py" in shipped
    assert sorted(f"mapper/{p}" for p in shipped if f"mapper/{p}" not in names) == []
    for system in ("prestashop", "lightspeed", "yuki", "factuursturen"):
        assert f"mapper/connectors/{system}/client.py" in names
        assert f"mapper/connectors/{system}/adapter.py" in names
        assert any(n.startswith(f"mapper/connectors/{system}/simulator") for n in names)
    entry_points = zipfile.ZipFile(installed.wheel).read(f"{dist_info.pop()}/entry_points.txt")
    assert "mapper = mapper.cli:main" in entry_points.decode()


def test_the_sdist_holds_the_rule_sets_and_schemas(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    expected = files_under(installed.source, *DATA_FOLDERS)
    assert "mappings/prestashop/mapping.yaml" in expected
    assert sorted(expected - names) == []
    assert {"pyproject.toml", "cli.py", "engine/mapping.py"} <= names


def test_the_installed_package_is_the_one_in_the_venv(installed: Installed) -> None:
    result = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import mapper; print(mapper.__file__)"],
        cwd=installed.elsewhere,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    location = Path(result.stdout.strip()).resolve()
    assert location.is_relative_to(installed.venv.resolve())
    assert not location.is_relative_to(ROOT)


def test_installed_demo_fills_the_three_lists(installed: Installed) -> None:
    result = installed.run("demo")
    assert result.returncode == 0, result.stderr
    titles = [line for line in result.stdout.splitlines() if " — " in line]
    for name in DEMO_LISTS:
        assert any(line.startswith(f"{name} — ") for line in titles), (name, titles)
    assert "Traceback" not in result.stderr


def test_installed_dry_run_maps_a_fixture(installed: Installed) -> None:
    fixtures = installed.source / "mappings" / "prestashop-yuki" / "fixtures"
    expected = sorted(fixtures.glob("*.expected.xml"))[0]
    order = installed.elsewhere / "order.json"
    shutil.copyfile(
        expected.with_name(expected.name.replace(".expected.xml", ".input.json")), order
    )
    result = installed.run("dry-run", order.name, "--mapping", "prestashop-yuki")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == expected.read_text(encoding="utf-8")


def test_installed_validate_takes_a_rule_set_name(installed: Installed) -> None:
    result = installed.run("validate", "yuki")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(
        r"yuki \S+: \d+ rule file\(s\) valid, \d+ expressions compiled\n", result.stdout
    )


def test_installed_test_runs_every_fixture_of_a_rule_set_name(installed: Installed) -> None:
    fixtures = installed.source / "mappings" / "prestashop-yuki" / "fixtures"
    count = len(list(fixtures.glob("*.input.json")))
    result = installed.run("test", "prestashop-yuki")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == f"{count} passed, 0 failed"


def test_installed_schema_prints_the_rule_language(installed: Installed) -> None:
    result = installed.run("schema", "mapping")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert "$schema" in printed
    source = installed.source / "schemas" / "mapping.schema.json"
    assert printed == json.loads(source.read_text(encoding="utf-8"))


def read_lines(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _interruptible() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_installed_simulator_serves_until_interrupted(installed: Installed) -> None:
    process = subprocess.Popen(
        [installed.mapper, "simulate", "yuki", "--port", "0"],
        cwd=installed.elsewhere,
        env=installed.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        # Ctrl-C as at a terminal: a suite started in the background inherits SIGINT ignored,
        # and Python then never turns it into KeyboardInterrupt.
        preexec_fn=_interruptible,
    )
    try:
        assert process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
        first = lines.get(timeout=60)
        found = re.fullmatch(r"yuki simulator listening on (http://127\.0\.0\.1:(\d+))\n", first)
        assert found, first
        assert int(found[2]) > 0
        wsdl = httpx.get(f"{found[1]}/ws/Sales.asmx?WSDL", timeout=10)
        assert wsdl.status_code == 200
        assert "definitions" in wsdl.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
