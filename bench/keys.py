"""Key → frame and peak-memory figures of `make bench` (issue 6), in a real terminal (tmux).

Each app runs in tmux (80×24) with COSELL_FRAME_LOG set, so it logs each key it receives and
each frame it writes on one monotonic clock (cosell_tui/frames.py). One sample: the screen is
still and the app idle; `tmux send-keys` sends one key; `capture-pane` is polled (about every
10 ms) until the screen has changed and then stayed the same for a quiet spell (QUIET, by
figure) while the app was idle (at most 20 ms of CPU in the last 250 ms: a query in a thread
draws nothing) and showed no "Loading…" placeholder. K is the app's `key` line for that key,
C the end of the first capture that already showed the settled screen, F the last `frame`
line in (K, C]: the sample is F − K (frames that change nothing visible do not count). A key
that changes nothing on screen is an error, not a sample. The median of a run's samples, then
the median of the runs.

Figures, with their baselines from the bare app (bench/bare_app.py --rows 40, same terminal):
  - cursor down: `down` on Inbound / on the bare 40-row table (colours compared: the cursor
    is only a colour);
  - page down: `pagedown` on and on down Inbound (thousands of rows) / `pageup` (not
    measured) and `pagedown` in turn on the bare table, so every sample moves;
  - against the bare page down: tab switch (`2`, `1` in turn); one filter keystroke (`/`, then
    customer-name fragments a letter at a time: to the settled list, and to the frame that
    echoes the letter); one command-palette keystroke of a real deal name (to the settled
    suggestions, and to the echo; spaces are typed but not measured: they show nothing); open
    a deal (`enter` until the deal screen is filled in; `escape` back is not measured);
  - peak memory: VmHWM of each app's python process once its keys have run.
Each figure also notes the median "key wait", from sending a key to the app's `key` line (not
in F − K; a few milliseconds while the app is idle when the key is sent).
cosell-tui runs on a copy of a demo database that has been launched once: the first launch
sweeps the invitations and raises a 12-second notification toast over the list.
Usage: `python -m bench.keys [--runs 3] [--samples 15] [--deals 100000] [--only filter,…]
[--show N]` (`--show N`: every sample's frames, and the captures of the first N of a figure).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import demo_db
from bench.launch import first_rows
from bench.terminal import (
    POLL_SECONDS,
    TARGET_DEALS,
    Figure,
    Terminal,
    app_command,
    app_env,
    bare_command,
    median,
    patience,
    print_table,
    without_targets,
)

BARE_ROWS = 40
# Seconds without a change on screen before it counts as settled (and the app must be idle,
# see Cpu): longer than a pause between two frames of one response that costs no CPU (a timer:
# a filter or the palette may wait for the typing to stop).
QUIET = {"move": 0.25, "tab": 0.3, "filter": 0.5, "palette": 0.5, "open": 0.3, "back": 0.5}
NO_CHANGE_SECONDS = 2.0  # a key that has changed nothing by then has changed nothing
DONE_SECONDS = 5.0  # an unmeasured key's expected screen has not come by then: go on anyway
SETTLE_TIMEOUT_SECONDS = 60.0  # (or the terminal's patience, if longer)
# Idle: at most 20 ms of CPU in the last 250 ms (an input's blinking cursor costs about 10 ms
# a second; a query or a render costs more).
IDLE_WINDOW = 0.25
IDLE_CPU = 0.02
TICKS = os.sysconf("SC_CLK_TCK")
GIVE_UP_AFTER = 3  # errors in a row: the figure is broken in this build, stop pressing
# Customer-name fragments of the demo ecosystem: each prefix matches rows.
FILTER_WORDS = ("wood", "blue", "alpine", "lamna", "fourth", "trey", "relecloud", "adatum")
FIGURES = ("cursor", "page", "tab", "filter", "palette", "open")
MEMORY_TARGET_MB = 60.0

Check = Callable[[str], bool]


def in_flight(screen: str) -> bool:
    """cosell-tui's placeholders for data on its way: no screen showing one has settled."""
    return (
        "Loading…" in screen
        or "Opening the database…" in screen
        or any(line.strip() == "…" for line in screen.splitlines())
    )


def anything(screen: str) -> bool:
    return True


class Cpu:
    """The app's CPU time: a still screen is not a settled app while a thread still queries."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.readings: deque[tuple[float, float]] = deque()

    def seconds(self) -> float:
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()  # (the name before it may hold spaces)
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime, all threads

    def idle(self, now: float) -> bool:
        """At most IDLE_CPU seconds of CPU used in the last IDLE_WINDOW seconds."""
        cpu = self.seconds()
        self.readings.append((now, cpu))
        while len(self.readings) > 1 and self.readings[1][0] <= now - IDLE_WINDOW:
            self.readings.popleft()
        since, before = self.readings[0]
        return since <= now - IDLE_WINDOW and cpu - before <= IDLE_CPU


@dataclass
class Press:
    """One measured key: milliseconds to the settled frame and to the echo, or what went wrong."""

    settled: float | None = None
    echoed: float | None = None
    delay: float | None = None  # send → the app's key line
    error: str = ""
    late: bool = False  # the screen had changed again after the previous key had settled


@dataclass
class Samples:
    presses: list[Press] = field(default_factory=list)

    def values(self, echo: bool = False) -> list[float]:
        found = (press.echoed if echo else press.settled for press in self.presses)
        return [value for value in found if value is not None]

    def errors(self, echo: bool = False) -> list[str]:
        if echo:
            return [
                "the echo was not seen" for p in self.presses if p.echoed is None and not p.error
            ]
        return [press.error for press in self.presses if press.error]

    def delays(self) -> list[float]:
        return [press.delay for press in self.presses if press.delay is not None]

    def late(self) -> int:
        return sum(press.late for press in self.presses)


def collect(presses: Iterator[Press]) -> Samples:
    """The presses, until GIVE_UP_AFTER errors in a row."""
    samples = Samples()
    for press in presses:
        samples.presses.append(press)
        recent = samples.presses[-GIVE_UP_AFTER:]
        if len(recent) == GIVE_UP_AFTER and all(press.error for press in recent):
            break
    if isinstance(presses, Generator):
        presses.close()  # runs its `finally`: the filter or the palette is closed
    return samples


class FrameLog:
    """The app's COSELL_FRAME_LOG file, read from a mark."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since_mark(self) -> tuple[list[float], list[float]]:
        """Key times and frame times written since the mark."""
        with self.path.open("rb") as log:
            log.seek(self.offset)
            lines = log.read().decode().splitlines()
        keys: list[float] = []
        frames: list[float] = []
        for line in lines:
            kind, _, rest = line.partition(" ")
            (keys if kind == "key" else frames).append(float(rest.split(" ", 1)[0]))
        return keys, frames


class Session:
    """One app running in the terminal with its frame log; sends keys and times them."""

    def __init__(self, terminal: Terminal, log: FrameLog, cpu: Cpu, who: str, show: int) -> None:
        self.terminal = terminal
        self.log = log
        self.cpu = cpu
        self.who = who
        self.show = show
        self.shown: dict[str, int] = {}
        self.screen: dict[bool, str] = {}  # the last settled screen, by `escapes`
        self.warned = False

    def settle(
        self,
        quiet: float,
        escapes: bool = False,
        changed_from: str | None = None,
        done: Check = anything,
    ) -> str:
        """Poll until the screen has stayed the same for `quiet` seconds (after a change, if
        `changed_from` is given and the change comes within NO_CHANGE_SECONDS; and showing
        `done`, if that comes within DONE_SECONDS)."""
        started = last_change = time.perf_counter()
        screen = self.terminal.capture(escapes)
        waiting = changed_from is not None and screen == changed_from
        while True:
            time.sleep(POLL_SECONDS / 2)
            now = time.perf_counter()
            current = self.terminal.capture(escapes)
            if current != screen:
                screen, last_change, waiting = current, now, False
            waiting = waiting and now - started < NO_CHANGE_SECONDS
            shown = done(screen) or now - started > DONE_SECONDS
            if not done(screen) and shown and not self.warned:
                self.warned = True
                print(f"{self.who}: expected screen not seen, going on:\n{screen}", file=sys.stderr)
            idle = self.cpu.idle(now)
            still = now - last_change >= quiet and not in_flight(screen)
            if not waiting and still and shown and idle:
                self.screen = {escapes: screen}
                return screen
            if now - started > max(SETTLE_TIMEOUT_SECONDS, self.terminal.timeout):
                raise TimeoutError(f"{self.who}: the screen never settled:\n{screen}")

    def key(
        self,
        key: str,
        literal: bool = False,
        quiet: float = 0.25,
        escapes: bool = False,
        done: Check = anything,
    ) -> None:
        """An unmeasured key: send it and wait for the screen to settle."""
        before = self.terminal.capture(escapes)
        self.terminal.send(key, literal)
        self.settle(quiet, escapes, changed_from=before, done=done)

    def press(
        self,
        figure: str,
        key: str,
        *,
        literal: bool = False,
        quiet: float = QUIET["move"],
        escapes: bool = False,
        echo: Check | None = None,
        done: Check = anything,
    ) -> Press:
        """A measured key: F − K in milliseconds (and to the echo frame when `echo` is given).

        `done` must hold on the settled screen too (the deal screen has opened)."""
        before = self.terminal.capture(escapes)
        late = escapes in self.screen and before != self.screen[escapes]  # it settled too early
        if before != self.screen.get(escapes):
            before = self.settle(quiet, escapes)
        press = self._press(figure, key, literal, quiet, escapes, echo, done, before)
        press.late = late
        return press

    def _press(
        self,
        figure: str,
        key: str,
        literal: bool,
        quiet: float,
        escapes: bool,
        echo: Check | None,
        done: Check,
        before: str,
    ) -> Press:
        self.log.mark()
        sent = time.perf_counter()
        self.terminal.send(key, literal)
        captures: list[tuple[float, str]] = []
        last_change = sent
        changed = False
        while True:
            screen = self.terminal.capture(escapes)
            now = time.perf_counter()
            if not captures or screen != captures[-1][1]:
                last_change = now
            captures.append((now, screen))
            changed = changed or screen != before
            quiet_now = now - last_change >= quiet
            idle = self.cpu.idle(now)
            if changed and quiet_now and not in_flight(screen) and done(screen) and idle:
                break
            wrong = quiet_now and not done(screen)  # (the deal screen never came)
            if (not changed or wrong) and now - sent > NO_CHANGE_SECONDS:
                self.screen = {escapes: screen}
                what = "the screen it should show did not come" if changed else "nothing changed"
                return Press(error=f"{key!r}: {what}")
            if now - sent > max(SETTLE_TIMEOUT_SECONDS, self.terminal.timeout):
                self.screen = {escapes: screen}
                return Press(error=f"{key!r}: not settled in time")
            time.sleep(POLL_SECONDS / 2)
        settled = captures[-1][1]
        self.screen = {escapes: settled}
        settled_at = captures[-1][0]
        for at, screen in reversed(captures):  # the first capture of the final run of equal ones
            if screen != settled:
                break
            settled_at = at
        keys, frames = self.log.since_mark()
        if not keys:
            return Press(error=f"{key!r}: the app logged no key")
        received = keys[0]
        press = Press(delay=(received - sent) * 1000)
        response = [at for at in frames if received < at <= settled_at]
        if response:
            press.settled = (response[-1] - received) * 1000
        else:
            press.error = f"{key!r}: no frame between the key and the settled screen"
        if echo is not None:
            echoed_at = next((at for at, screen in captures if echo(screen)), None)
            shown = [at for at in frames if echoed_at is not None and received < at <= echoed_at]
            if shown:
                press.echoed = (shown[-1] - received) * 1000
        count = self.shown.get(figure, 0)
        self.shown[figure] = count + 1
        if self.show:  # the evidence: every frame after the key, and which one was taken
            after = " ".join(f"{(at - received) * 1000:.0f}" for at in frames if at > received)
            print(
                f"[{self.who}] {figure} {key!r}: key +{press.delay:.0f} ms after sending; frames "
                f"(ms after the key) {after}; settled capture at "
                f"{(settled_at - received) * 1000:.0f} → {ms(press.settled)}, echo "
                f"{ms(press.echoed)} {press.error}"
            )
            if count < self.show:
                print(f"--- before ---\n{plain(before)}--- settled ---\n{plain(settled)}")
        return press


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def plain(screen: str) -> str:
    """A capture without colour escapes, for reading."""
    out, escape = [], False
    for char in screen:
        if char == "\x1b":
            escape = True
        elif escape:
            escape = not char.isalpha()
        else:
            out.append(char)
    return "".join(out)


# --- the figures ------------------------------------------------------------------------------


def cursor_down(session: Session, samples: int) -> Samples:
    return collect(session.press("cursor", "Down", escapes=True) for _ in range(samples))


def page_down_app(session: Session, samples: int) -> Samples:
    return collect(session.press("page", "NPage", escapes=True) for _ in range(samples))


def page_down_bare(session: Session, samples: int) -> Samples:
    def presses() -> Iterator[Press]:
        for _ in range(samples):
            session.key("PPage", escapes=True)
            yield session.press("page", "NPage", escapes=True)

    return collect(presses())


def tab_switch(session: Session, samples: int) -> Samples:
    keys = ["2", "1"] * ((samples + 1) // 2)
    presses = collect(session.press("tab", key, quiet=QUIET["tab"]) for key in keys[:samples])
    if samples % 2:
        session.key("1", quiet=QUIET["tab"])  # back to Inbound
    return presses


def typed(prefix: str) -> Check:
    """The filter field shows exactly what was typed (the cursor is only a colour)."""
    return lambda screen: any(line.strip() == prefix for line in screen.splitlines())


def filter_keystrokes(session: Session, samples: int) -> Samples:
    quiet = QUIET["filter"]

    def presses() -> Iterator[Press]:
        pressed = 0
        while True:
            for word in FILTER_WORDS:
                session.key("/")
                try:
                    for index, letter in enumerate(word[: samples - pressed]):
                        echo = typed(word[: index + 1])
                        yield session.press("filter", letter, literal=True, quiet=quiet, echo=echo)
                        pressed += 1
                finally:
                    session.key("Escape", quiet=quiet)  # clears the filter, even on giving up
                if pressed == samples:
                    return

    return collect(presses())


def searched(prefix: str) -> Check:
    """The palette's search field shows what was typed, after its magnifier."""
    return lambda screen: any(
        "🔎" in line and line.rstrip().endswith(prefix.rstrip()) for line in screen.splitlines()
    )


def palette_keystrokes(session: Session, samples: int, name: str) -> Samples:
    quiet = QUIET["palette"]

    def presses() -> Iterator[Press]:
        pressed = 0
        while True:
            session.key("C-p", quiet=quiet)
            try:
                for index, letter in enumerate(name):
                    if letter == " ":  # shows nothing: typed, not measured
                        session.terminal.send(letter, literal=True)
                        session.settle(quiet)
                        continue
                    echo = searched(name[: index + 1])
                    yield session.press("palette", letter, literal=True, quiet=quiet, echo=echo)
                    pressed += 1
                    if pressed == samples:
                        return
            finally:
                session.key("Escape", quiet=quiet)  # closes the palette, even on giving up

    return collect(presses())


def deal_screen(screen: str) -> bool:
    """The deal screen (its footer offers esc Back), filled in (no Loading…, see in_flight)."""
    lines = screen.rstrip("\n").splitlines()
    return bool(lines) and "esc Back" in lines[-1]


def row_offered(screen: str) -> bool:
    """The list's footer offers the actions of the deal under the cursor (an invitation)."""
    lines = screen.rstrip("\n").splitlines()
    return bool(lines) and "Accept" in lines[-1] and "esc Back" not in lines[-1]


def open_deal(session: Session, samples: int) -> Samples:
    # The first row: the most urgent invitation, whose footer offers Accept (row_offered).
    session.key("Home", escapes=True, done=row_offered)

    def presses() -> Iterator[Press]:
        for _ in range(samples):
            press = session.press("open", "Enter", quiet=QUIET["open"], done=deal_screen)
            if deal_screen(session.terminal.capture()):
                # Back on the list, it reloads out of sight, and until it is done the footer
                # offers no Accept and enter opens nothing.
                session.key("Escape", quiet=QUIET["back"], done=row_offered)
            yield press

    return collect(presses())


def deal_name(db: Path) -> str:
    """A real deal the default user (the first admin) was invited to, from the demo database."""
    with contextlib.closing(sqlite3.connect(db)) as connection:
        row = connection.execute(
            "SELECT r.name FROM referrals r WHERE r.direction = 'inbound' AND r.organization_id ="
            " (SELECT organization_id FROM users WHERE role LIKE '%admin' ORDER BY id LIMIT 1)"
            " ORDER BY r.id LIMIT 1"
        ).fetchone()
    return str(row[0])


# --- memory -----------------------------------------------------------------------------------


def python_process(root: int) -> int:
    """The first python process at or below `root` (the pane may run a shell first)."""
    todo = [root]
    while todo:
        pid = todo.pop(0)
        try:
            if Path(os.readlink(f"/proc/{pid}/exe")).name.startswith("python"):
                return pid
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    raise RuntimeError(f"no python process under pid {root}")


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process has had, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


# --- runs -------------------------------------------------------------------------------------


@dataclass
class Run:
    """What one launch of one app measured: samples by figure, and its peak memory."""

    samples: dict[str, Samples] = field(default_factory=dict)
    peak_mb: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # what each figure took to measure


class Bench:
    """Launches the two apps in turn in one terminal, each with a fresh frame log."""

    def __init__(self, terminal: Terminal, home: Path, show: int) -> None:
        self.terminal = terminal
        self.home = home
        self.show = show
        self.launches = 0

    def launched(self, command: list[str], who: str, ready: Check) -> Session:
        self.launches += 1
        path = self.home / f"frames-{self.launches}.log"
        self.terminal.start(command, {"COSELL_FRAME_LOG": str(path)})
        self.terminal.wait_for(ready)
        cpu = Cpu(python_process(self.terminal.pane_pid()))
        session = Session(self.terminal, FrameLog(path), cpu, who, self.show)
        session.settle(1.0)  # the launch's last frames are in, its work after them is done
        return session

    def finish(self, session: Session, run: Run) -> Run:
        """Peak memory now, after the keys; then quit."""
        run.peak_mb = peak_rss_mb(session.cpu.pid)
        quit_app(self.terminal)
        return run

    def bare(self, wanted: set[str], samples: int) -> Run:
        session = self.launched(bare_command(BARE_ROWS), "bare", lambda s: "Deal 0" in s)
        run = Run()
        if "cursor" in wanted:
            run.samples["cursor"] = cursor_down(session, samples)
        run.samples["page"] = page_down_bare(session, samples)
        if "tab" in wanted:  # not a baseline: what Textual's own tab switch costs, for scale
            run.samples["tab"] = tab_switch(session, samples)
        return self.finish(session, run)

    def app(self, db: Path, wanted: set[str], samples: int, name: str) -> Run:
        session = self.launched(app_command(db), "cosell-tui", first_rows)
        run = Run()
        figures: dict[str, Callable[[], Samples]] = {
            "cursor": lambda: cursor_down(session, samples),
            "page": lambda: page_down_app(session, samples),
            "tab": lambda: tab_switch(session, samples),
            "filter": lambda: filter_keystrokes(session, samples),
            "palette": lambda: palette_keystrokes(session, samples, name),
            "open": lambda: open_deal(session, samples),
        }
        for figure, measure in figures.items():
            if figure in wanted:
                started = time.perf_counter()
                run.samples[figure] = measure()
                run.seconds[figure] = time.perf_counter() - started
        return self.finish(session, run)


def quit_app(terminal: Terminal) -> None:
    terminal.send("q")
    deadline = time.perf_counter() + 10
    while terminal.running() and time.perf_counter() < deadline:
        time.sleep(0.05)
    terminal.stop()


def launched_once(terminal: Terminal, db: Path, copy: Path) -> None:
    """Copy `db` and launch cosell-tui on the copy once: the sweep's notifications are sent."""
    shutil.copyfile(db, copy)
    terminal.start(app_command(copy))
    try:
        terminal.wait_for(first_rows, timeout=2 * terminal.timeout)
        with contextlib.suppress(TimeoutError):  # no toast: nothing new to tell, already swept
            terminal.wait_for(lambda screen: "New notification" in screen, timeout=20)
    finally:
        quit_app(terminal)  # (it checkpoints the WAL into the copy)


def summary(runs: list[Run], figure: str, echo: bool = False) -> tuple[float | None, str]:
    """The median of the runs' medians, and a note: each run's median, key waits, errors."""
    medians: list[float] = []
    errors: list[str] = []
    delays: list[float] = []
    late = 0
    for run in runs:
        samples = run.samples.get(figure)
        if samples is None:
            continue
        errors += samples.errors(echo)
        delays += samples.delays()
        late += samples.late()
        value = median(samples.values(echo))
        if value is not None:
            medians.append(value)
    note = "runs " + " ".join(f"{value:.0f}" for value in medians)
    wait = median(delays)
    if wait is not None and not echo:
        note += f"; key wait {wait:.0f}"
    if late and not echo:
        note += f"; {late} settled early"
    if errors:
        note += f"; {len(errors)} errors: {errors[0]}"
    return median(medians), note


def key_figures(
    deals: int, runs: int, samples: int, size: str, wanted: set[str], show: int = 0
) -> list[Figure]:
    """Key → frame figures and peak memory: bare app and cosell-tui in turn, `runs` each."""
    db, _ = demo_db(deals)
    with tempfile.TemporaryDirectory(prefix="cosell-bench-") as scratch:
        home = Path(scratch)
        terminal = Terminal(size, app_env(home), patience(deals))
        base, copy = home / "launched.db", home / "bench.db"
        launched_once(terminal, db, base)
        name = deal_name(base)  # (not from the cache: even reading leaves -shm and -wal files)
        bench = Bench(terminal, home, show)
        bare_runs: list[Run] = []
        app_runs: list[Run] = []
        try:
            for number in range(1, runs + 1):
                started = time.perf_counter()
                bare_runs.append(bench.bare(wanted, samples))
                bare_seconds = time.perf_counter() - started
                shutil.copyfile(base, copy)
                app_runs.append(bench.app(copy, wanted, samples, name))
                took = ", ".join(f"{f} {sec:.0f}" for f, sec in app_runs[-1].seconds.items())
                print(
                    f"keys: run {number}/{runs} took {time.perf_counter() - started:.0f} s "
                    f"(bare app {bare_seconds:.0f}; cosell-tui: {took})",
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            terminal.stop()  # an app left running by a failure

    cursor_base, cursor_note = summary(bare_runs, "cursor")
    page_base, page_note = summary(bare_runs, "page")
    figures: list[Figure] = []
    if "cursor" in wanted:
        figures.append(
            Figure("bare app: cursor down (40 rows)", cursor_base, "ms", note=cursor_note)
        )
    figures.append(Figure("bare app: page down (40 rows)", page_base, "ms", note=page_note))
    if "tab" in wanted:
        tab_base, tab_note = summary(bare_runs, "tab")
        figures.append(Figure("bare app: tab switch (for scale)", tab_base, "ms", note=tab_note))
    rows = [
        ("cursor", "cursor down, key → frame", cursor_base, 1.5, False),
        ("page", "page down, key → frame", page_base, 1.5, False),
        ("tab", "tab switch, key → frame", page_base, 1.5, False),
        ("filter", "filter keystroke → list settled", page_base, 1.5, False),
        ("filter", "filter keystroke → letter echoed", page_base, None, True),
        ("palette", "palette keystroke → suggestions", page_base, 2.0, False),
        ("palette", "palette keystroke → letter echoed", page_base, None, True),
        ("open", "open a deal screen, key → frame", page_base, 2.0, False),
    ]
    for figure, title, baseline, target, echo in rows:
        if figure in wanted:
            value, note = summary(app_runs, figure, echo)
            kind = "ratio" if target is not None else "info"
            figures.append(Figure(title, value, "ms", kind, baseline, target, note=note))
    bare_mb = median([run.peak_mb for run in bare_runs if run.peak_mb is not None])
    app_mb = median([run.peak_mb for run in app_runs if run.peak_mb is not None])
    memory_note = "after " + ", ".join(f for f in FIGURES if f in wanted)
    figures += [
        Figure("bare app: peak RSS (VmHWM)", bare_mb, "MB"),
        Figure(
            "peak memory (VmHWM)", app_mb, "MB", "plus", bare_mb, MEMORY_TARGET_MB, note=memory_note
        ),
    ]
    return figures if deals == TARGET_DEALS else without_targets(figures)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.keys")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=15, help="keys per figure per run")
    parser.add_argument("--size", default="80x24", help="terminal WIDTHxHEIGHT")
    parser.add_argument("--deals", type=int, default=100_000, help="demo size (or 1000000)")
    parser.add_argument("--only", default=",".join(FIGURES), help=f"some of {','.join(FIGURES)}")
    parser.add_argument("--show", type=int, default=0, help="print every sample's frames")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        sys.exit("bench needs tmux (make tmux installs it)")
    wanted = set(args.only.split(","))
    figures = key_figures(args.deals, args.runs, args.samples, args.size, wanted, args.show)
    print_table(
        f"key → frame figures: {args.deals:,} deals, {args.size}, {args.samples} keys a run, "
        f"median of {args.runs} runs",
        figures,
    )


if __name__ == "__main__":
    main()
