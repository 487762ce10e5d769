"""APScheduler 3.11 baseline for `dkron-bench`: many interval jobs spawning `/bin/true`.

It measures what `target/release/dkron-bench` measures (bench/src/main.rs, measure.rs), in
one Python process running APScheduler instead of a dkron server:

- N jobs at an interval of I seconds (our `@every Is`), each running `subprocess.run(argv)`
  (`--command`, default `/bin/true`), or nothing at all with `--noop` (the in-memory ceiling:
  what the scheduler alone can dispatch).
- Jobs are added `--create-rate` per second (0 = all at once). As in Dkron, a job's first run
  is its creation time truncated to the whole second plus the interval, so jobs created in the
  same second are due at the same instant. Batches are added at whole wall-clock seconds, so
  `--create-rate 1000` puts 1,000 jobs on each phase, as our runs with `--create-rate 1000`.
- After a warm-up (default one interval + 2 s) the window opens for `--duration-secs`. For
  every occurrence whose scheduled time falls in the window it records:
  - **start lateness**: the time the job function took just before spawning the process,
    minus the scheduled run time APScheduler hands to the job's EVENT_JOB_EXECUTED event
    (ours: `started_at`, taken just before spawning, minus the nominal time). It includes the
    scheduler's own delay and the wait for a free pool thread and for the GIL;
  - **skipped**: occurrences APScheduler did not run: EVENT_JOB_MISSED (started later than
    misfire_grace_time), EVENT_JOB_MAX_INSTANCES (the previous run of the same job still
    queued or running), and occurrences merged away by coalescing (APScheduler emits no event
    for those, so they are counted as the expected occurrences never submitted);
  - the process's own **RSS** (VmRSS when the window opens, every second, at the end) and
    **CPU** (user + system time of this process, all its threads, not of the jobs' processes)
    as a percentage of one core over the window.

Configuration (printed at start as the `settings:` line):

- BackgroundScheduler with the in-memory job store (MemoryJobStore), timezone UTC.
- ThreadPoolExecutor with `--workers` threads, default 20. A run of `/bin/true` holds a thread
  for about a millisecond (spawn, exec, exit, reap), so on 2 cores a handful of threads keeps
  the machine's spawn capacity busy; 20 leaves headroom for slower commands and for bursts of
  due jobs without adding much GIL contention. The pool bounds concurrency: a command taking
  S seconds cannot run more often than workers / S times a second.
- coalesce=True: a job that fell behind runs once for its missed occurrences, not once for
  each (our default misfire policy, run_once, does the same).
- misfire_grace_time = the interval (`--misfire-grace-secs` to change, `none` = no limit): a
  run starting more than one interval late would overlap its next occurrence, so a production
  deployment would rather skip it and say so. APScheduler's default is 1 s.
- max_instances=1 (APScheduler's default): an occurrence due while the previous run of the
  same job is still queued or running is skipped.
- The `apscheduler` loggers are set to ERROR: APScheduler logs one warning per missed or
  skipped run, which at thousands a second would cost more than the scheduling itself; the
  events count them instead.

Bookkeeping cost: one lock and a few appends per run in the event listener, and 8 bytes per
in-window run for the lateness list (about 3 MiB at 3,000 runs/s over 120 s); both are part of
the process figures, as the server's own recording is part of ours.

Usage (see bench/baseline/README.md):
    target/baseline-venv/bin/python bench/baseline/apscheduler_bench.py \\
        --jobs 10000 --every-secs 10 --create-rate 1000 --duration-secs 120

Needs Python 3.11 and APScheduler 3.11 (`pip install 'APScheduler==3.11.*'`), nothing else.
"""

from __future__ import annotations

import argparse
import array
import logging
import math
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

import apscheduler
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

# How long after the window the figures are read, so runs due at its very end have started
# (dkron-bench waits the same 3 s for the window's last records).
RECORDS_SETTLE_SECS = 3.0
DEFAULT_WORKERS = 20


def run_command(argv: list[str]) -> tuple[float, int | None]:
    """The job: spawns argv and waits for it; returns (time just before the spawn, exit code)."""
    started = time.time()
    try:
        completed = subprocess.run(argv, check=False)
    except OSError:
        # Could not spawn (e.g. out of processes): it started but did not succeed, as a
        # shell job whose process failed to start.
        return started, None
    return started, completed.returncode


def run_noop() -> tuple[float, int]:
    """The `--noop` job: no process, only the scheduler's dispatch."""
    return time.time(), 0


class Tally:
    """Counts what happened to the occurrences whose scheduled time falls in the window.

    The listener runs in the scheduler thread (submission events) and in the pool threads
    (execution events), hence the lock.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (start, end) in Unix seconds; replaced in one assignment when the window opens, so
        # the listener never sees half of it. Nothing is in the window until then.
        self.window = (math.inf, math.inf)
        self.lateness_ms = array.array("d")
        self.succeeded = 0
        self.failed = 0
        self.errors = 0
        self.missed = 0
        self.max_instances = 0
        self.submitted = 0

    def on_event(self, event) -> None:
        start, end = self.window
        code = event.code
        if code in (EVENT_JOB_SUBMITTED, EVENT_JOB_MAX_INSTANCES):
            # With coalesce=True this list holds one time, the latest due.
            count = sum(
                1 for run_time in event.scheduled_run_times if start <= run_time.timestamp() < end
            )
            if count:
                with self.lock:
                    if code == EVENT_JOB_SUBMITTED:
                        self.submitted += count
                    else:
                        self.max_instances += count
            return
        nominal = event.scheduled_run_time.timestamp()
        if not start <= nominal < end:
            return
        with self.lock:
            if code == EVENT_JOB_EXECUTED:
                started, returncode = event.retval
                self.lateness_ms.append((started - nominal) * 1000.0)
                if returncode == 0:
                    self.succeeded += 1
                else:
                    self.failed += 1
            elif code == EVENT_JOB_ERROR:
                self.errors += 1
            elif code == EVENT_JOB_MISSED:
                self.missed += 1


@dataclass
class Usage:
    """This process's memory, threads and CPU at one moment."""

    rss_kib: int
    threads: int
    cpu_secs: float


def read_usage() -> Usage:
    """Reads VmRSS and Threads from /proc/self/status and this process's user + system CPU."""
    rss_kib = 0
    threads = 0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    times = os.times()
    # user + system of this process (all threads); the children's fields are the jobs'
    # processes, which dkron-bench leaves out of the server's figure too.
    return Usage(rss_kib, threads, times.user + times.system)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value at `fraction` of the sorted list, nearest rank, as measure.rs computes it."""
    if not sorted_values:
        return math.nan
    # Rust's f64::round rounds halves away from zero; Python's round() would round to even.
    index = math.floor((len(sorted_values) - 1) * fraction + 0.5)
    return sorted_values[index]


def occurrences_in(first: float, every: float, start: float, end: float) -> int:
    """How many of first, first + every, ... fall in [start, end)."""
    low = max(0, math.ceil((start - first) / every))
    high = math.ceil((end - first) / every)
    return max(0, high - low)


def sleep_until(instant: float) -> None:
    """Sleeps until the given time.time() instant (no-op if it has passed)."""
    remaining = instant - time.time()
    if remaining > 0:
        time.sleep(remaining)


def create_jobs(
    scheduler: BackgroundScheduler, options: argparse.Namespace, func, args: tuple
) -> array.array:
    """Adds the jobs, paced; returns each job's first run time (Unix seconds)."""
    first_runs = array.array("d")

    def add(index: int) -> None:
        # Dkron's rule: the first run is the creation time truncated to the second plus the
        # interval, so jobs created in the same second share their phase.
        first = math.floor(time.time()) + options.every_secs
        trigger = IntervalTrigger(
            seconds=options.every_secs,
            start_date=datetime.fromtimestamp(first, tz=timezone.utc),
            timezone=timezone.utc,
        )
        scheduler.add_job(func, trigger, args=args, id=f"bench-{index}", name=f"bench-{index}")
        first_runs.append(first)

    started = time.monotonic()
    if options.create_rate == 0:
        for index in range(options.jobs):
            add(index)
    else:
        # Each batch starts just after a whole second, so a batch that takes less than a
        # second is one phase: `rate` jobs due at the same instant.
        next_second = math.floor(time.time()) + 1
        for batch_start in range(0, options.jobs, options.create_rate):
            sleep_until(next_second + 0.001)
            for index in range(batch_start, min(batch_start + options.create_rate, options.jobs)):
                add(index)
            next_second += 1
    # The phases (first run modulo the interval) say how many jobs are due per instant: the
    # shape being compared.
    per_phase = Counter(first % options.every_secs for first in first_runs)
    print(
        f"created {options.jobs} jobs in {time.monotonic() - started:.1f} s, on "
        f"{len(per_phase)} phase(s), at most {max(per_phase.values())} due per instant"
    )
    return first_runs


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Load APScheduler 3.11 with many interval jobs and print figures "
        "in the shape dkron-bench prints"
    )
    parser.add_argument("--jobs", type=int, default=10_000, help="number of jobs (10000)")
    parser.add_argument(
        "--every-secs", type=int, default=10, help="interval of every job, seconds (10)"
    )
    parser.add_argument(
        "--duration-secs", type=int, default=120, help="measured window, seconds (120)"
    )
    parser.add_argument(
        "--warm-up-secs",
        type=int,
        default=None,
        help="warm-up before the window (default: one interval + 2 s)",
    )
    parser.add_argument(
        "--create-rate",
        type=int,
        default=0,
        help="jobs added per second, 0 = all at once (0); jobs added in the same second "
        "are due at the same instant",
    )
    parser.add_argument(
        "--command",
        default="/bin/true",
        help="command every job runs, split like a shell would, no shell (/bin/true)",
    )
    parser.add_argument(
        "--noop", action="store_true", help="jobs spawn nothing: the in-memory ceiling"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"ThreadPoolExecutor threads ({DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--misfire-grace-secs",
        default="interval",
        help="misfire_grace_time: whole seconds, 'none' for no limit, or 'interval' "
        "(the default: the jobs' interval)",
    )
    parser.add_argument(
        "--max-instances", type=int, default=1, help="max_instances of every job (1)"
    )
    options = parser.parse_args()
    if options.duration_secs < 1 or options.jobs < 1 or options.every_secs < 1:
        parser.error("--jobs, --every-secs and --duration-secs must be at least 1")
    # APScheduler truncates misfire_grace_time to whole seconds, hence an int.
    grace = options.misfire_grace_secs.lower()
    if grace == "interval":
        options.misfire_grace_secs = options.every_secs
    elif grace == "none":
        options.misfire_grace_secs = None
    else:
        options.misfire_grace_secs = int(grace)
    if options.warm_up_secs is None:
        options.warm_up_secs = options.every_secs + 2
    return options


def main() -> None:
    options = parse_options()
    argv = shlex.split(options.command)
    func, args = (run_noop, ()) if options.noop else (run_command, (argv,))
    what = "no-op" if options.noop else repr(argv)
    pace = "all at once" if options.create_rate == 0 else f"{options.create_rate} per second"
    grace = (
        "none (no limit)"
        if options.misfire_grace_secs is None
        else f"{options.misfire_grace_secs} s"
    )
    print(
        f"apscheduler-bench: {options.jobs} {what} jobs at interval {options.every_secs} s, "
        f"created {pace}, measured for {options.duration_secs} s"
    )
    print(
        f"settings: APScheduler {apscheduler.__version__} BackgroundScheduler, MemoryJobStore, "
        f"ThreadPoolExecutor(max_workers={options.workers}), coalesce=True, "
        f"misfire_grace_time={grace}, max_instances={options.max_instances}, "
        f"apscheduler log level ERROR; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )

    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    tally = Tally()
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=options.workers)},
        job_defaults={
            "coalesce": True,
            "misfire_grace_time": options.misfire_grace_secs,
            "max_instances": options.max_instances,
        },
        timezone=timezone.utc,
    )
    scheduler.add_listener(
        tally.on_event,
        EVENT_JOB_SUBMITTED
        | EVENT_JOB_MAX_INSTANCES
        | EVENT_JOB_EXECUTED
        | EVENT_JOB_ERROR
        | EVENT_JOB_MISSED,
    )
    # Started before the jobs are added, as our server runs before jobs are created.
    scheduler.start()
    first_runs = create_jobs(scheduler, options, func, args)

    print(f"warming up for {options.warm_up_secs} s")
    time.sleep(options.warm_up_secs)

    # The window's bounds are fixed when it opens, so the listener can file every event as
    # it arrives, whatever the main thread is doing.
    window_start = time.time()
    window_end = window_start + options.duration_secs
    usage_start = read_usage()
    tally.window = (window_start, window_end)
    measured = time.monotonic()
    rss_kib = [usage_start.rss_kib]
    peak_threads = usage_start.threads
    for second in range(1, options.duration_secs + 1):
        sleep_until(window_start + second)
        usage = read_usage()
        rss_kib.append(usage.rss_kib)
        peak_threads = max(peak_threads, usage.threads)
    usage_end = usage
    wall_secs = time.monotonic() - measured

    time.sleep(RECORDS_SETTLE_SECS)
    print("collecting results")
    with tally.lock:
        lateness = sorted(tally.lateness_ms)
        succeeded, failed, errors = tally.succeeded, tally.failed, tally.errors
        missed, max_instances, submitted = tally.missed, tally.max_instances, tally.submitted

    seconds = window_end - window_start
    expected = sum(
        occurrences_in(first, options.every_secs, window_start, window_end) for first in first_runs
    )
    started = len(lateness)
    # Coalesced occurrences leave no event: they are the expected ones never submitted nor
    # refused for max_instances. Submitted ones not yet reported are still queued or running.
    coalesced = max(0, expected - submitted - max_instances)
    pending = max(0, submitted - started - errors - missed)
    print(f"window: {seconds:.1f} s")
    print(
        f"executions: {started} started, {succeeded} succeeded = {started / seconds:.0f} "
        f"executions/s (expected about {options.jobs / options.every_secs:.0f}/s)"
    )
    print(
        f"start lateness: p50 {percentile(lateness, 0.50):.1f} ms, "
        f"p99 {percentile(lateness, 0.99):.1f} ms, "
        f"max {(lateness[-1] if lateness else math.nan):.1f} ms"
    )
    print(
        f"skipped: {missed + max_instances + coalesced} of {expected} occurrences in the window "
        f"({missed} missed: later than misfire_grace_time {grace}; {max_instances} at "
        f"max_instances; {coalesced} coalesced or never submitted); {pending} submitted but "
        f"not started {RECORDS_SETTLE_SECS:g} s after the window; {failed} exited non-zero, "
        f"{errors} raised"
    )
    cpu_secs = usage_end.cpu_secs - usage_start.cpu_secs
    print(
        f"process: rss {usage_start.rss_kib / 1024:.1f} MiB when the window opened, "
        f"{usage_end.rss_kib / 1024:.1f} MiB at end, peak {max(rss_kib) / 1024:.1f} MiB; "
        f"threads peak {peak_threads}; cpu {cpu_secs:.1f} s over {wall_secs:.1f} s = "
        f"{100 * cpu_secs / wall_secs:.0f}% of one core"
    )

    scheduler.shutdown(wait=False)
    sys.stdout.flush()
    # The pool's queued runs would otherwise be drained before the interpreter exits.
    os._exit(0)


if __name__ == "__main__":
    main()
