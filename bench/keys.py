"""Key → frame and peak-memory figures of `make bench` (issue 6), in a real terminal (tmux).

Each app runs in tmux (80×24) with COSELL_FRAME_LOG set, so it logs each key it receives and
each frame it writes on one monotonic clock (cosell_tui/frames.py). One sample: the screen is
still; `tmux send-keys` sends one key; `capture-pane` is polled (about every 10 ms) until the
screen has changed and then stayed the same for a quiet spell (QUIET, by figure). K is the
app's `key` line for that key, C the end of the first capture that already showed the settled
screen, F the last `frame` line in (K, C]: the sample is F − K. A key that changes nothing on
screen is an error, not a sample. Medians of the samples of a run, then the median of the runs.

Figures, with their baselines from the bare app (bench/bare_app.py --rows 40, same terminal):
  - cursor down: `down` on Inbound / on the bare 40-row table (colours compared: the cursor
    is only a colour);
  - page down: `pagedown` down Inbound (thousands of rows) / alternately `pageup` (not
    measured) and `pagedown` on the bare table, so every sample moves;
  - tab switch (`2`, `1` in turn), one filter keystroke (`/`, then a customer-name fragment a
    letter at a time: to the settled list, and to the frame that echoes the letter), one
    command-palette keystroke of a real deal name (to the settled suggestions, and to the
    echo), open a deal (`enter`; `escape` back is not measured): against the bare page down;
  - peak memory: VmHWM of each app's python process once its keys have run.
cosell-tui runs on a copy of a demo database that has been launched once: the first launch
sweeps the invitations and raises a 12-second notification toast over the list.
Usage: `python -m bench.keys [--runs 3] [--samples 15] [--deals 100000] [--only filter,…]
[--show 2]` (`--show N` prints the first N samples of each figure with their captures).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import demo_db
from bench.launch import first_rows
from bench.terminal import (
    POLL_SECONDS,
    Figure,
    Terminal,
    app_command,
    app_env,
    bare_command,
    median,
    print_table,
)

BARE_ROWS = 40
QUIET = {"move": 0.25, "filter": 0.5, "palette": 0.5, "open": 0.6}  # seconds without change
NO_CHANGE_SECONDS = 5.0  # a key that changes nothing by then changed nothing
SETTLE_TIMEOUT_SECONDS = 30.0
# Customer-name fragments of the demo ecosystem that match rows at every prefix.
FILTER_WORDS = ("wood", "blue", "alpine", "lamna", "fourth", "trey", "contoso", "relecloud")
FIGURES = ("cursor", "page", "tab", "filter", "palette", "open")
MEMORY_TARGET_MB = 60.0

Echo = Callable[[str], bool]


@dataclass
class Press:
    """One measured key: milliseconds to the settled frame and to the echo, or what went wrong."""

    settled: float | None = None
    echoed: float | None = None
    error: str = ""


@dataclass
class Samples:
    presses: list[Press] = field(default_factory=list)

    def settled(self) -> list[float]:
        return [press.settled for press in self.presses if press.settled is not None]

    def echoed(self) -> list[float]:
        return [press.echoed for press in self.presses if press.echoed is not None]

    def errors(self) -> list[str]:
        return [press.error for press in self.presses if press.error]


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
            stamp = float(rest.split(" ", 1)[0])
            (keys if kind == "key" else frames).append(stamp)
        return keys, frames


class Session:
    """One app running in the terminal with its frame log; sends keys and times them."""

    def __init__(self, terminal: Terminal, log: FrameLog, who: str, show: int) -> None:
        self.terminal = terminal
        self.log = log
        self.who = who
        self.show = show
        self.shown: dict[str, int] = {}
        self.screen: dict[bool, str] = {}  # the last settled screen, by `escapes`
        self.late_changes = 0

    def settle(self, quiet: float, escapes: bool = False, changed_from: str | None = None) -> str:
        """Poll until the screen has stayed the same for `quiet` seconds (after a change, if
        `changed_from` is given and it comes within a second)."""
        started = last_change = time.perf_counter()
        screen = self.terminal.capture(escapes)
        waiting = changed_from is not None and screen == changed_from
        while True:
            time.sleep(POLL_SECONDS / 2)
            now = time.perf_counter()
            current = self.terminal.capture(escapes)
            if current != screen:
                screen, last_change, waiting = current, now, False
            if waiting and now - started > 1.0:
                waiting = False
            if not waiting and now - last_change >= quiet:
                self.screen = {escapes: screen}
                return screen
            if now - started > SETTLE_TIMEOUT_SECONDS:
                raise TimeoutError(f"{self.who}: the screen never settled:\n{screen}")

    def key(
        self, key: str, literal: bool = False, quiet: float = QUIET["move"], escapes: bool = False
    ) -> None:
        """An unmeasured key: send it and wait for the screen to settle."""
        before = self.terminal.capture(escapes)
        self.terminal.send(key, literal)
        self.settle(quiet, escapes, changed_from=before)

    def press(
        self,
        figure: str,
        key: str,
        literal: bool = False,
        quiet: float = QUIET["move"],
        escapes: bool = False,
        echo: Echo | None = None,
    ) -> Press:
        """A measured key: F − K in milliseconds (and to the echo frame when `echo` is given)."""
        before = self.terminal.capture(escapes)
        if before != self.screen.get(escapes):
            if escapes in self.screen:  # the last settle was early: count it, let this one end
                self.late_changes += 1
            before = self.settle(quiet, escapes)
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
            if changed and now - last_change >= quiet:
                break
            if not changed and now - sent > NO_CHANGE_SECONDS:
                self.screen = {escapes: screen}
                return Press(error=f"{key!r}: nothing changed on screen")
            if now - sent > SETTLE_TIMEOUT_SECONDS:
                raise TimeoutError(f"{self.who}: {key!r} never settled:\n{screen}")
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
        press = Press()
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
        if count < self.show:
            self.shown[figure] = count + 1
            self.print_sample(
                figure, key, press, received, sent, settled_at, frames, before, settled
            )
        return press

    def print_sample(
        self,
        figure: str,
        key: str,
        press: Press,
        received: float,
        sent: float,
        settled_at: float,
        frames: list[float],
        before: str,
        settled: str,
    ) -> None:
        after = [f"{(at - received) * 1000:.1f}" for at in frames if at > received]
        print(
            f"\n[{self.who}] {figure} {key!r}: key logged {(received - sent) * 1000:+.1f} ms "
            f"after send; frames after the key (ms): {' '.join(after)}; first settled capture "
            f"{(settled_at - received) * 1000:.1f} ms → sample {press.settled} ms, echo "
            f"{press.echoed} ms {press.error}"
        )
        print("--- before ---\n" + plain(before) + "--- settled ---\n" + plain(settled))


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
    return Samples([session.press("cursor", "Down", escapes=True) for _ in range(samples)])


def page_down_app(session: Session, samples: int) -> Samples:
    return Samples([session.press("page", "NPage", escapes=True) for _ in range(samples)])


def page_down_bare(session: Session, samples: int) -> Samples:
    presses = []
    for _ in range(samples):
        session.key("PPage", escapes=True)
        presses.append(session.press("page", "NPage", escapes=True))
    return Samples(presses)


def tab_switch(session: Session, samples: int) -> Samples:
    keys = ["2", "1"] * ((samples + 1) // 2)  # ends on Inbound
    return Samples([session.press("tab", key) for key in keys])


def typed(prefix: str) -> Echo:
    """The filter field shows exactly what was typed (the cursor is only a colour)."""
    return lambda screen: any(line.strip() == prefix for line in screen.splitlines())


def filter_keystrokes(session: Session, samples: int) -> Samples:
    presses: list[Press] = []
    quiet = QUIET["filter"]
    for word in FILTER_WORDS * samples:
        session.key("/")
        for index, letter in enumerate(word):
            if len(presses) < samples:
                echo = typed(word[: index + 1])
                presses.append(session.press("filter", letter, True, quiet, echo=echo))
        session.key("Escape", quiet=quiet)
        if len(presses) >= samples:
            break
    return Samples(presses)


def searched(prefix: str) -> Echo:
    """The palette's search field shows what was typed after its magnifier."""
    return lambda screen: any(
        "🔎" in line and line.rstrip().endswith(prefix) for line in screen.splitlines()
    )


def palette_keystrokes(session: Session, samples: int, name: str) -> Samples:
    presses: list[Press] = []
    quiet = QUIET["palette"]
    while len(presses) < samples:
        session.key("C-p", quiet=quiet)
        for index, letter in enumerate(name[: samples - len(presses)]):
            echo = searched(name[: index + 1])
            presses.append(session.press("palette", letter, True, quiet, echo=echo))
        session.key("Escape", quiet=quiet)
    return Samples(presses)


def open_deal(session: Session, samples: int) -> Samples:
    presses = []
    for _ in range(samples):
        presses.append(session.press("open", "Enter", quiet=QUIET["open"]))
        session.key("Escape")
        session.key("Down", escapes=True)  # the next deal: not one the app has just shown
    return Samples(presses)


def deal_name(db: Path) -> str:
    """A real deal the default user (the first admin) was invited to, from the demo database."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT r.name FROM referrals r WHERE r.direction = 'inbound' AND r.organization_id ="
            " (SELECT organization_id FROM users WHERE role LIKE '%admin' ORDER BY id LIMIT 1)"
            " ORDER BY r.id LIMIT 1"
        ).fetchone()
    return str(row[0])


# --- memory -------------------------------------------------------------------------------


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
    late_changes: int = 0


class Bench:
    def __init__(self, terminal: Terminal, home: Path, show: int) -> None:
        self.terminal = terminal
        self.home = home
        self.show = show
        self.launches = 0

    def launched(self, command: list[str], who: str, ready: Callable[[str], bool]) -> Session:
        self.launches += 1
        path = self.home / f"frames-{self.launches}.log"
        self.terminal.start(command, {"COSELL_FRAME_LOG": str(path)})
        self.terminal.wait_for(ready)
        session = Session(self.terminal, FrameLog(path), who, self.show)
        session.settle(1.0)  # the launch's last frames (the totals, the unread count) are in
        return session

    def finish(self, session: Session, run: Run) -> Run:
        run.peak_mb = peak_rss_mb(python_process(self.terminal.pane_pid()))
        run.late_changes = session.late_changes
        self.terminal.send("q")
        deadline = time.perf_counter() + 10
        while self.terminal.running() and time.perf_counter() < deadline:
            time.sleep(0.05)
        self.terminal.stop()
        return run

    def bare(self, wanted: set[str], samples: int) -> Run:
        session = self.launched(bare_command(BARE_ROWS), "bare", lambda s: "Deal 0" in s)
        run = Run()
        if "cursor" in wanted:
            run.samples["cursor"] = cursor_down(session, samples)
        run.samples["page"] = page_down_bare(session, samples)
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
                run.samples[figure] = measure()
        return self.finish(session, run)


def launched_once(terminal: Terminal, db: Path, copy: Path) -> None:
    """Copy `db` and launch cosell-tui on the copy once: the sweep's notifications are sent."""
    shutil.copyfile(db, copy)
    terminal.start(app_command(copy))
    try:
        terminal.wait_for(first_rows)
        with contextlib.suppress(TimeoutError):  # no toast: nothing new to tell, already swept
            terminal.wait_for(lambda screen: "New notification" in screen, timeout=20)
        terminal.send("q")
        deadline = time.perf_counter() + 10
        while terminal.running() and time.perf_counter() < deadline:
            time.sleep(0.05)
    finally:
        terminal.stop()


def run_medians(runs: list[Run], figure: str, echo: bool = False) -> tuple[float | None, str]:
    """The median over runs of each run's median, and a note of the runs and errors."""
    medians: list[float] = []
    errors: list[str] = []
    for run in runs:
        samples = run.samples.get(figure)
        if samples is None:
            continue
        values = samples.echoed() if echo else samples.settled()
        errors += samples.errors()
        value = median(values)
        if value is not None:
            medians.append(value)
    note = "runs " + " ".join(f"{value:.0f}" for value in medians)
    if errors:
        note += f"; {len(errors)} errors: {errors[0]}"
    return median(medians), note


def key_figures(
    deals: int, runs: int, samples: int, size: str, wanted: set[str], show: int = 0
) -> list[Figure]:
    """Key → frame figures and peak memory: bare app and cosell-tui in turn, `runs` each."""
    db, _ = demo_db(deals)
    name = deal_name(db)
    with tempfile.TemporaryDirectory(prefix="cosell-bench-") as scratch:
        home = Path(scratch)
        terminal = Terminal(size, app_env(home))
        base, copy = home / "launched.db", home / "bench.db"
        launched_once(terminal, db, base)
        bench = Bench(terminal, home, show)
        bare_runs: list[Run] = []
        app_runs: list[Run] = []
        for number in range(1, runs + 1):
            bare_runs.append(bench.bare(wanted, samples))
            shutil.copyfile(base, copy)
            app_runs.append(bench.app(copy, wanted, samples, name))
            print(f"keys: run {number}/{runs} done", file=sys.stderr, flush=True)

    cursor_base, cursor_note = run_medians(bare_runs, "cursor")
    page_base, page_note = run_medians(bare_runs, "page")
    figures: list[Figure] = []
    if "cursor" in wanted:
        figures.append(
            Figure("bare app: cursor down (40 rows)", cursor_base, "ms", note=cursor_note)
        )
    figures.append(Figure("bare app: page down (40 rows)", page_base, "ms", note=page_note))
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
            value, note = run_medians(app_runs, figure, echo)
            kind = "ratio" if target is not None else "info"
            figures.append(Figure(title, value, "ms", kind, baseline, target, note=note))
    bare_mb = median([run.peak_mb for run in bare_runs if run.peak_mb is not None])
    app_mb = median([run.peak_mb for run in app_runs if run.peak_mb is not None])
    late = sum(run.late_changes for run in bare_runs + app_runs)
    memory_note = f"after {', '.join(sorted(wanted))}" + (f"; {late} late changes" if late else "")
    figures += [
        Figure("bare app: peak RSS (VmHWM)", bare_mb, "MB"),
        Figure(
            "peak memory (VmHWM)", app_mb, "MB", "plus", bare_mb, MEMORY_TARGET_MB, note=memory_note
        ),
    ]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.keys")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=15, help="keys per figure per run")
    parser.add_argument("--size", default="80x24", help="terminal WIDTHxHEIGHT")
    parser.add_argument("--deals", type=int, default=100_000, help="demo size (or 1000000)")
    parser.add_argument("--only", default=",".join(FIGURES), help=f"some of {','.join(FIGURES)}")
    parser.add_argument("--show", type=int, default=0, help="print the first N samples per figure")
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
