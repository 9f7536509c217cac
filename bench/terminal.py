"""What the `make bench` scripts share: a private tmux terminal, the apps' environment, figures.

`Terminal` runs one app at a time in its own tmux server at a fixed size and reads its screen
with `capture-pane`; `Figure` is one line of the final table (median, baseline, ratio, target).
"""

from __future__ import annotations

import os
import secrets
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.data import CLI, TODAY

BARE_APP = Path(__file__).parent / "bare_app.py"
POLL_SECONDS = 0.01
TARGET_DEALS = 100_000  # the targets hold at this size
TIMEOUT_SECONDS = 30.0  # at 100 000 deals; more deals, more patience (see patience)

Check = Callable[[str], bool]


def patience(deals: int) -> float:
    """Seconds to wait for a screen before calling the app stuck: it grows with the database."""
    return TIMEOUT_SECONDS * max(1.0, deals / 100_000)


def app_env(home: Path) -> dict[str, str]:
    """The environment both apps run in: HOME in a scratch folder, no user config."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("COSELL_")}
    return env | {"HOME": str(home), "COSELL_CONFIG": str(home / "missing.toml")}


def bare_command(rows: int = 0) -> list[str]:
    return [sys.executable, str(BARE_APP), *(["--rows", str(rows)] if rows else [])]


def app_command(db: Path) -> list[str]:
    return [str(CLI), "--db", str(db), "--today", TODAY]


class Terminal:
    """Private tmux servers (own sockets) that run one app at a time at a fixed size."""

    def __init__(self, size: str, env: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> None:
        self.name = f"bench-{secrets.token_hex(4)}"
        self.timeout = timeout
        self.launches = 0
        self.socket = self.name
        self.width, self.height = size.split("x")
        self.env = env  # a fresh server per launch inherits it, and so does the app

    def tmux(self, *args: str, check: bool = True) -> str:
        command = ["tmux", "-L", self.socket, *args]
        done = subprocess.run(command, check=False, capture_output=True, text=True, env=self.env)
        if check and done.returncode:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.strip()} (did the app exit?)")
        return done.stdout

    def socket_path(self) -> Path:
        folder = self.env.get("TMUX_TMPDIR") or "/tmp"
        return Path(folder) / f"tmux-{os.getuid()}" / self.socket

    def start(self, command: list[str], env: dict[str, str] | None = None) -> None:
        """Run `command` in a new server (with `env` on top of the terminal's own)."""
        # A server per launch: a new session on a server still shutting down can vanish.
        self.launches += 1
        self.socket = f"{self.name}-{self.launches}"
        size = ("-x", self.width, "-y", self.height)
        extra = [arg for name, value in (env or {}).items() for arg in ("-e", f"{name}={value}")]
        self.tmux("new-session", "-d", *size, *extra, shlex.join(command))

    def stop(self) -> None:
        self.tmux("kill-server", check=False)
        self.socket_path().unlink(missing_ok=True)  # tmux 3.3 leaves it behind

    def running(self) -> bool:
        return bool(self.tmux("list-sessions", check=False).strip())

    def capture(self, escapes: bool = False) -> str:
        """The screen as text; with `escapes`, colours too (a table cursor is only a colour)."""
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []))

    def send(self, key: str, literal: bool = False) -> None:
        """A tmux key name (Down, NPage, Enter, C-p) or, `literal`, the characters themselves."""
        self.tmux("send-keys", *(["-l"] if literal else []), key)

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "#{pane_pid}").strip())

    def wait_for(self, check: Check, timeout: float | None = None) -> str:
        timeout = timeout or self.timeout
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.capture()
            if check(screen):
                return screen
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not seen in {timeout:.0f} s; screen:\n{screen}")
            time.sleep(POLL_SECONDS)

    def time_launch(self, command: list[str], checks: list[Check]) -> list[float]:
        """Seconds from launch until each check first holds on a capture of the screen."""
        seen: list[float | None] = [None] * len(checks)
        started = time.perf_counter()
        self.start(command)
        try:
            while None in seen:
                screen = self.capture()
                elapsed = time.perf_counter() - started
                for index, check in enumerate(checks):
                    if seen[index] is None and check(screen):
                        seen[index] = elapsed
                if elapsed > self.timeout:
                    raise TimeoutError(f"not seen in {self.timeout:.0f} s; screen:\n{screen}")
                time.sleep(POLL_SECONDS)
        finally:
            self.stop()
        return [value for value in seen if value is not None]


@dataclass
class Figure:
    """One line of the final table.

    `kind` says how `value` meets `target`: "ratio" (value / baseline ≤ target), "plus"
    (value − baseline ≤ target, in the figure's unit), "limit" (value ≤ target), or "info"
    (printed, no target: a baseline, or a figure the issue only asks to write down).
    """

    name: str
    value: float | None  # None: not measured (see note)
    unit: str  # "s", "ms", "MB"
    kind: str = "info"
    baseline: float | None = None
    target: float | None = None
    stretch: float | None = None
    note: str = ""
    failed: bool = False  # not met whatever the value (the tests failed)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.failed:
            return "FAIL"
        if self.value is None or self.target is None or self.kind == "info":
            return ""
        if self.kind == "ratio":
            if self.ratio is None:
                return ""
            held = self.ratio <= self.target
            stretch = self.stretch is not None and self.ratio <= self.stretch
            return ("pass (stretch too)" if stretch else "pass") if held else "FAIL"
        if self.kind == "plus":
            assert self.baseline is not None
            return "pass" if self.value - self.baseline <= self.target else "FAIL"
        return "pass" if self.value <= self.target else "FAIL"


def without_targets(figures: list[Figure]) -> list[Figure]:
    """Off the 100 000-deal database the issue sets no targets: the figures show the growth."""
    for figure in figures:
        figure.target = figure.stretch = None
    return figures


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.1f} {unit}"


def print_table(title: str, figures: list[Figure]) -> None:
    """Median, baseline, ratio (or difference), target and result, one figure a line."""
    print(f"\n{title}")
    header = f"{'figure':<46} {'median':>9} {'baseline':>9} {'ratio':>7} {'target':>9}  result"
    print(header)
    print("-" * len(header))
    for figure in figures:
        base = amount(figure.baseline, figure.unit) if figure.baseline is not None else ""
        ratio, target = "", ""
        if figure.kind == "plus":
            assert figure.value is None or figure.baseline is not None
            difference = None if figure.value is None else figure.value - (figure.baseline or 0)
            ratio = f"{difference:+.1f}" if difference is not None else "—"
            target = f"≤+{figure.target:g} {figure.unit}" if figure.target is not None else ""
        elif figure.ratio is not None:
            ratio = f"{figure.ratio:.2f}x"
        if figure.target is not None and figure.kind == "ratio":
            target = f"≤{figure.target}x"
        elif figure.target is not None and figure.kind == "limit":
            target = f"≤{amount(figure.target, figure.unit)}"
        result = " ".join(part for part in (figure.verdict, figure.note) if part)
        print(
            f"{figure.name:<46} {amount(figure.value, figure.unit):>9} {base:>9} {ratio:>7} "
            f"{target:>9}  {result}"
        )
