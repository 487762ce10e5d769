"""How fast this machine can start and reap `/bin/true`: the physical limit for shell jobs.

Every shell job a scheduler runs costs at least one process creation, exec and reap, so the
rate at which the machine can do that bounds the executions per second of any scheduler that
runs shell jobs, ours (`dkron-bench`) and the APScheduler baseline alike. This script spawns
`/bin/true` as fast as it can for `--duration-secs` from `--workers` threads, each thread
starting one process and waiting for it before the next, and prints spawns per second.

Two ways of spawning are offered (`--method`):

- `subprocess` (the default): `subprocess.run([...])`, what the APScheduler baseline's jobs do.
  CPython uses vfork for it on Linux. In interleaved runs on the 2-core machine this was
  written on it was the faster of the two from 2 threads up (about 10 % with 2 threads,
  more with 4) and level with posix_spawn from one thread, so it is the default: the better
  estimate of the machine's limit, and the same call the baseline pays for.
- `posix_spawn`: `os.posix_spawn` + `os.waitpid` (glibc: `clone(CLONE_VM | CLONE_VFORK)`, no
  pipes), for comparison.

Most of the cost is the child's (exec and dynamic linking of `/bin/true`, exit), and the
parent's threads also contend for the GIL, so more threads than cores rarely help; try
`--workers`. The CPU line shows the parent's and the children's CPU separately.

Usage:
    python3 bench/baseline/spawn_rate.py [--duration-secs 10] [--workers 2] [--method subprocess]

Only the standard library is needed (Python 3.11).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import threading
import time

COMMAND = "/bin/true"


def spawn_with_posix_spawn() -> None:
    """Starts COMMAND with posix_spawn and waits for it."""
    pid = os.posix_spawn(COMMAND, [COMMAND], os.environ)
    os.waitpid(pid, 0)


def spawn_with_subprocess() -> None:
    """Starts COMMAND with subprocess.run, as a Python job would."""
    subprocess.run([COMMAND], check=False)


SPAWNERS = {
    "posix_spawn": spawn_with_posix_spawn,
    "subprocess": spawn_with_subprocess,
}


def spawn_until(deadline: float, spawn, counts: list[int], slot: int) -> None:
    """Spawns one process after another until the monotonic deadline; counts them in its slot."""
    # Each thread writes only its own slot, so no lock is needed.
    done = 0
    while time.monotonic() < deadline:
        spawn()
        done += 1
    counts[slot] = done


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration-secs", type=float, default=10.0, help="how long to spawn (default 10)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="threads spawning in parallel (default 2)"
    )
    parser.add_argument(
        "--method",
        choices=sorted(SPAWNERS),
        default="subprocess",
        help="how to spawn (default subprocess, the faster here)",
    )
    return parser.parse_args()


def main() -> None:
    options = parse_options()
    spawn = SPAWNERS[options.method]
    print(
        f"spawn-rate: {COMMAND} with {options.method} from {options.workers} threads "
        f"for {options.duration_secs:g} s; {os.cpu_count()} CPUs"
    )
    counts = [0] * options.workers
    cpu_before = os.times()
    started = time.monotonic()
    deadline = started + options.duration_secs
    threads = [
        threading.Thread(target=spawn_until, args=(deadline, spawn, counts, slot))
        for slot in range(options.workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cpu_after = os.times()
    total = sum(counts)
    # The parent's own CPU and its children's (the spawned processes, reaped by waitpid)
    # show where the time goes: spawning in the parent or exec and exit in the children.
    parent_cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    children_cpu = (cpu_after.children_user + cpu_after.children_system) - (
        cpu_before.children_user + cpu_before.children_system
    )
    print(f"spawns: {total} in {elapsed:.1f} s = {total / elapsed:.0f} spawns/s")
    print(
        f"cpu: parent {parent_cpu:.1f} s ({100 * parent_cpu / elapsed:.0f}% of one core), "
        f"children {children_cpu:.1f} s ({100 * children_cpu / elapsed:.0f}% of one core)"
    )


if __name__ == "__main__":
    main()
