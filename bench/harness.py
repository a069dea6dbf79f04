"""Timing, peak memory and tables for bench/run."""

import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

TIME = "/usr/bin/time"


@dataclass
class Sample:
    """One run of one command: wall seconds and peak resident memory in KiB."""

    seconds: float
    max_rss_kib: int | None
    stdout: str
    returncode: int = 0
    stderr: str = ""


@dataclass
class Row:
    """One line of the results table."""

    section: str
    case: str
    envlock: list = field(default_factory=list)
    peer_name: str = ""
    peer: list = field(default_factory=list)
    note: str = ""
    peer_crashes: int = 0

    def median(self, samples, attribute):
        values = [getattr(s, attribute) for s in samples if getattr(s, attribute) is not None]
        return statistics.median(values) if values else None

    def cells(self):
        envlock_s = self.median(self.envlock, "seconds")
        peer_s = self.median(self.peer, "seconds")
        envlock_rss = self.median(self.envlock, "max_rss_kib")
        peer_rss = self.median(self.peer, "max_rss_kib")
        ratio = f"{envlock_s / peer_s:.2f}" if envlock_s and peer_s else "-"
        rss_ratio = f"{envlock_rss / peer_rss:.2f}" if envlock_rss and peer_rss else "-"
        note = self.note
        if self.peer_crashes:
            crash = f"py-rattler crashed after printing its report in {self.peer_crashes} run(s)"
            note = f"{note}; {crash}" if note else crash
        return [
            self.section,
            self.case,
            fmt_seconds(envlock_s),
            self.peer_name or "-",
            fmt_seconds(peer_s),
            ratio,
            fmt_mib(envlock_rss),
            fmt_mib(peer_rss),
            rss_ratio,
            str(len(self.envlock)),
            note,
        ]


HEADER = [
    "section",
    "case",
    "envlock s (median)",
    "peer",
    "peer s (median)",
    "time ratio envlock/peer",
    "envlock peak RSS MiB",
    "peer peak RSS MiB",
    "RSS ratio",
    "runs",
    "note",
]


def fmt_seconds(value):
    return "-" if value is None else f"{value:.3f}"


def fmt_mib(kib):
    return "-" if kib is None else f"{kib / 1024:.0f}"


def run_measured(argv, env=None, cwd=None, check=True):
    """Run `argv` under /usr/bin/time -v (when installed) and return a Sample."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        wrapped = [TIME, "-v", "-o", report.name, *argv] if os.path.exists(TIME) else list(argv)
        started = time.perf_counter()
        completed = subprocess.run(
            wrapped, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        seconds = time.perf_counter() - started
        rss = None
        if os.path.exists(TIME):
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report.read())
            rss = int(match.group(1)) if match else None
    if check and completed.returncode != 0:
        raise RuntimeError(
            f"command failed with exit code {completed.returncode}: {' '.join(map(str, argv))}\n"
            f"{completed.stderr[-4000:]}"
        )
    return Sample(seconds, rss, completed.stdout, completed.returncode, completed.stderr)


def machine_description():
    """Return CPU model, core count, memory, kernel and the current load."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo") as handle:
            total_kib = int(handle.readline().split()[1])
            memory = f"{total_kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": platform.release(),
        "load average (1, 5, 15 min)": load,
    }


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def text_table(header, rows):
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(cells, widths)) for cells in rows]
    return "\n".join(lines)


def fresh_dir(path):
    """Remove `path` if it exists and create it empty."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            full = os.path.join(root, name)
            if not os.path.islink(full):
                total += os.path.getsize(full)
    return total
