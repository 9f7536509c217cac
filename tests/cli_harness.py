"""Running `cosell-tui` in tests: in this process (`run`) or as the installed console script
(`spawn`, `run_all`).

A spawned command pays about 1.5 s of CPU importing SQLAlchemy, the models and the store before
it does a few milliseconds of work; in this process they are imported already. `run` gives the
command what a subprocess would get — exactly the environment passed, the working directory,
`sys.argv`, its own stdout and stderr (not terminals, so the bare command does not draw
screens) — and answers with the same `CompletedProcess`: the exit status argparse or the
command's `SystemExit` carries, and for an exception that escapes `main` the traceback and
status 1 the interpreter would give. Afterwards everything is put back, and a command that
changed the environment, the working directory or the standard streams fails the test.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Protocol

import pytest

from cosell_tui.cli import main

CLI = Path(sys.executable).parent / "cosell-tui"
Result = subprocess.CompletedProcess[str]


class Runner(Protocol):
    """`run` or `spawn`."""

    def __call__(
        self, env: dict[str, str], *args: str | Path, cwd: Path | None = None
    ) -> Result: ...


def make_env(root: Path, **extra: str) -> dict[str, str]:
    """A clean environment: private HOME/XDG dirs under root, no COSELL_* leaking in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("COSELL_")}
    for key in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        env.pop(key, None)
    dirs = {
        "HOME": root / "home",
        "XDG_DATA_HOME": root / "data",
        "XDG_STATE_HOME": root / "state",
        "XDG_CONFIG_HOME": root / "config",
        "XDG_CACHE_HOME": root / "cache",
    }
    for key, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[key] = str(path)
    env.update(extra)
    return env


def _exit_status(code: object) -> int:
    """What the interpreter makes of `SystemExit(code)`: None is 0, a message is 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as leaving:
        return _exit_status(leaving.code)
    except Exception:  # escaped `main`: the interpreter would print it and exit 1
        traceback.print_exc()
        return 1


def run(env: dict[str, str], *args: str | Path, cwd: Path | None = None) -> Result:
    """`cosell-tui ARGS` in this process, with `env` as the whole environment."""
    argv = [str(arg) for arg in args]
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for key in set(os.environ) - set(env):
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        if cwd is not None:
            patch.chdir(cwd)
        patch.setattr(sys, "argv", [str(CLI), *argv])
        before = (dict(os.environ), Path.cwd(), sys.stdin)
        with redirect_stdout(out), redirect_stderr(err):
            status = _main(argv)
            streams = (sys.stdout, sys.stderr)
        after = (dict(os.environ), Path.cwd(), sys.stdin)
    assert after == before, f"`cosell-tui {' '.join(argv)}` changed the process's state"
    assert streams == (out, err), f"`cosell-tui {' '.join(argv)}` replaced stdout or stderr"
    return subprocess.CompletedProcess([str(CLI), *argv], status, out.getvalue(), err.getvalue())


def spawn(env: dict[str, str], *args: str | Path, cwd: Path | None = None) -> Result:
    """`cosell-tui ARGS` as a subprocess: the installed console script, end to end."""
    return subprocess.run(
        [str(CLI), *map(str, args)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def run_all(env: dict[str, str], commands: Sequence[Sequence[str | Path]]) -> list[Result]:
    """Run independent commands concurrently (demo builds are CPU-bound, one core each): all but
    the last as subprocesses, the last in this process meanwhile, which saves one interpreter's
    imports. Separate interpreters have separate hash seeds, so a build that depended on set
    order would not come out the same twice."""
    *spawned, last = [list(map(str, args)) for args in commands]
    started = [
        (
            args,
            subprocess.Popen(
                [str(CLI), *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in spawned
    ]
    try:
        here = run(env, *last)
    finally:
        results = []
        for args, process in started:
            out, err = process.communicate(timeout=180)
            results.append(subprocess.CompletedProcess(args, process.returncode, out, err))
    return [*results, here]
