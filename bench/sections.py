"""The benchmark sections of bench/run: channel, solve, install, check, pip."""

import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass

import harness
from harness import Row, fresh_dir, run_measured

NAMES = ["solve", "install", "check", "pip"]
PLATFORMS = ["linux-aarch64", "linux-64"]
HOST_PLATFORM = "linux-64"
ENV_FILE = "env-worker-arm64.yaml"
PIP_PLATFORMS = {"linux-64": "x86_64-manylinux_2_28", "linux-aarch64": "aarch64-manylinux_2_28"}
FULL_SCALE_DIVISOR = 1
SMOKE_SCALE_DIVISOR = 1000


@dataclass
class Context:
    """Paths and settings shared by every section."""

    root: str
    work: str
    runs: int
    smoke: bool
    envlock: str
    bin_dir: str
    realdata: str
    peers: bool = True
    channel: str = ""
    plain_channel: str = ""
    server: object = None
    reference: dict = None

    @property
    def env_file(self):
        return os.path.join(self.root, ENV_FILE)

    @property
    def py_rattler(self):
        """The venv Python with py-rattler 0.28.0, or None when it is missing."""
        if not self.peers:
            return None
        python = os.path.join(self.root, "target", "py-rattler-venv", "bin", "python")
        if not os.path.exists(python):
            return None
        probe = subprocess.run(
            [python, "-c", "import rattler, importlib.metadata as m; print(m.version('py-rattler'))"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        return python if probe.returncode == 0 else None

    @property
    def uv(self):
        if not self.peers:
            return None
        uv = os.path.join(self.root, "target", "uv-venv", "bin", "uv")
        return uv if os.path.exists(uv) else shutil.which("uv")

    def peer_script(self):
        return os.path.join(self.root, "bench", "peer_py_rattler.py")


def run_peer(argv, row):
    """Run a py-rattler peer command and return its Sample and JSON report.

    py-rattler 0.28.0 sometimes aborts at interpreter shutdown ("Fatal Python
    error: PyGILState_Release", or a segmentation fault) after it has printed
    its complete report. Such a run is kept, because the measured work
    finished, and counted in the row's note so the crash stays visible. A
    failure without a complete report raises.
    """
    sample = run_measured(argv, check=False)
    try:
        report = json.loads(sample.stdout)
    except json.JSONDecodeError:
        report = None
    if sample.returncode != 0:
        if report is None:
            raise RuntimeError(
                f"peer failed with exit code {sample.returncode}: {' '.join(argv)}\n{sample.stderr[-4000:]}"
            )
        row.peer_crashes += 1
    return sample, report


PY_RATTLER_MISSING = (
    "py-rattler skipped (--without-peers, or not installed: "
    "`python3 -m venv target/py-rattler-venv && target/py-rattler-venv/bin/pip install py-rattler==0.28.0`)"
)


class Server:
    """A `standin-serve` process serving one channel on 127.0.0.1."""

    def __init__(self, context, root):
        self.argv = [os.path.join(context.bin_dir, "standin-serve"), root]
        self.process = None
        self.url = None

    def __enter__(self):
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self.process.stdout.readline().split()
        if len(line) != 2 or line[0] != "url":
            raise RuntimeError(f"standin-serve did not print its URL: {line}")
        self.url = line[1]
        return self

    def command(self, text):
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().split()

    def reset(self):
        self.command("reset")

    def stats(self):
        """Return (requests, body bytes, archive body bytes) since the last reset."""
        reply = self.command("stats")
        return int(reply[1]), int(reply[2]), int(reply[3])

    def __exit__(self, *exc):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def conda_specs(env_file):
    """Return the conda specs of the environment file (no selectors in the worker file)."""
    specs = []
    in_dependencies = False
    for line in open(env_file):
        stripped = line.split("#", 1)[0].rstrip()
        if stripped.startswith("dependencies:"):
            in_dependencies = True
            continue
        if in_dependencies and stripped.startswith("  - ") and not stripped.endswith(":"):
            specs.append(stripped[4:].strip())
        elif in_dependencies and stripped and not stripped.startswith(" "):
            in_dependencies = False
    return specs


def pip_requirements(env_file):
    requirements = []
    in_pip = False
    for line in open(env_file):
        stripped = line.split("#", 1)[0].rstrip()
        if stripped.strip() == "- pip:":
            in_pip = True
            continue
        if in_pip and stripped.startswith("    - "):
            requirements.append(stripped[6:].strip())
        elif in_pip and stripped:
            in_pip = False
    return requirements


# --- the channel ---------------------------------------------------------------


def prepare_channel(context):
    """Write the large channel (once per scale) and a copy without shards."""
    divisor = SMOKE_SCALE_DIVISOR if context.smoke else FULL_SCALE_DIVISOR
    channel = os.path.join(context.work, f"channel-large-{divisor}")
    summary_path = channel + ".summary.txt"
    if not os.path.exists(summary_path):
        shutil.rmtree(channel, ignore_errors=True)
        sample = run_measured(
            [
                os.path.join(context.bin_dir, "standin-channel"),
                "--out",
                channel,
                "--large",
                "--realdata",
                context.realdata,
                "--scale-divisor",
                str(divisor),
            ]
        )
        with open(summary_path, "w") as handle:
            handle.write(sample.stdout)
            handle.write(f"peak RSS of the generator: {sample.max_rss_kib} KiB\n")
    context.channel = channel
    context.plain_channel = plain_copy(channel)
    with open(summary_path) as handle:
        return handle.read()


def plain_copy(channel):
    """Link every file of `channel` except the sharded repodata into a sibling."""
    plain = channel + "-plain"
    if os.path.exists(plain):
        return plain
    for subdir in os.listdir(channel):
        source = os.path.join(channel, subdir)
        if not os.path.isdir(source):
            continue
        os.makedirs(os.path.join(plain, subdir))
        for name in os.listdir(source):
            if name == "shards" or name.startswith("repodata_shards"):
                continue
            os.link(os.path.join(source, name), os.path.join(plain, subdir, name))
    return plain


# --- 1. solve -------------------------------------------------------------------


def explicit_packages(lockfile):
    """Return the archive file names per platform from envlock's explicit files."""
    stem = lockfile[: -len(".lock")]
    packages = {}
    for platform in PLATFORMS:
        names = []
        for line in open(f"{stem}.{platform}.txt"):
            line = line.strip()
            if line and not line.startswith(("#", "@")):
                names.append(line.split("#", 1)[0].rsplit("/", 1)[-1])
        packages[platform] = sorted(names)
    return packages


def folder_name(label):
    """Turn a case label such as "file:// cold" into a folder name."""
    return "".join(c if c.isalnum() else "-" for c in label).strip("-")


def remove_lock(lockfile):
    """Remove a lock and its explicit files, so the next solve starts without them."""
    stem = lockfile[: -len(".lock")]
    for path in [lockfile] + [f"{stem}.{platform}.txt" for platform in PLATFORMS]:
        if os.path.exists(path):
            os.remove(path)


def expect_written(path):
    """Raise when a measured command exited 0 without writing `path`."""
    if not os.path.exists(path):
        raise RuntimeError(f"the measured command exited 0 but did not write {path}. Check that it is an envlock binary.")


def envlock_solve_argv(context, mirror, cache, lockfile):
    return [
        context.envlock,
        "solve",
        "-f",
        context.env_file,
        "--ignore-pip",
        "-q",
        "--mirror",
        f"conda-forge={mirror}",
        "--lockfile",
        lockfile,
        "--cache-dir",
        cache,
    ]


def peer_solve_argv(context, python, channel, cache, no_shards, command="solve", extra=()):
    argv = [python, context.peer_script(), command, "--channel", channel, "--cache-dir", cache]
    for platform in extra or PLATFORMS:
        argv += ["--platform", platform]
    for spec in conda_specs(context.env_file):
        argv += ["--spec", spec]
    if no_shards:
        argv.append("--no-shards")
    return argv


def solve_case(context, label, channel_url, warm, no_shards, over_http):
    python = context.py_rattler
    base = fresh_dir(os.path.join(context.work, "solve", folder_name(label)))
    lockfile = os.path.join(base, "worker.lock")
    row = Row("1 solve", label, peer_name="py-rattler 0.28.0")
    if python is None:
        row.note = PY_RATTLER_MISSING

    warm_envlock = os.path.join(base, "cache-envlock")
    warm_peer = os.path.join(base, "cache-peer")
    if warm:
        run_measured(envlock_solve_argv(context, channel_url, warm_envlock, lockfile))
        if python:
            run_peer(peer_solve_argv(context, python, channel_url, warm_peer, no_shards), row)

    bytes_note = []
    answers = []
    for index in range(context.runs):
        cache = warm_envlock if warm else fresh_dir(os.path.join(base, f"cold-envlock-{index}"))
        context.server.reset()
        # Without the lock of the previous run, which envlock would use as
        # the preferred versions where py-rattler has none.
        remove_lock(lockfile)
        row.envlock.append(run_measured(envlock_solve_argv(context, channel_url, cache, lockfile)))
        expect_written(lockfile)
        if not warm:
            # A cold plain-repodata cache is about 400 MB, so each one goes
            # before the next run.
            shutil.rmtree(cache, ignore_errors=True)
        if index == 0:
            answers.append(explicit_packages(lockfile))
            if over_http:
                bytes_note.append(f"envlock read {context.server.stats()[1]:,} B")
        if python:
            cache = warm_peer if warm else fresh_dir(os.path.join(base, f"cold-peer-{index}"))
            context.server.reset()
            sample, report = run_peer(peer_solve_argv(context, python, channel_url, cache, no_shards), row)
            row.peer.append(sample)
            if index == 0:
                answers.append(report["packages"])
                if over_http:
                    bytes_note.append(f"py-rattler read {context.server.stats()[1]:,} B")
        if not warm:
            shutil.rmtree(cache, ignore_errors=True)

    notes = [row.note] if row.note else []
    if len(answers) == 2:
        notes.append("same records" if answers[0] == answers[1] else "RECORDS DIFFER")
    if answers and context.reference is not None:
        same = answers[0] == context.reference
        notes.append("same as on the small stand-in" if same else "DIFFERS FROM THE SMALL STAND-IN")
    notes += bytes_note
    row.note = "; ".join(notes)
    return row


def small_channel(context):
    """Write the small stand-in channel (once) and return its path."""
    small = os.path.join(context.work, "channel-small")
    if not os.path.exists(os.path.join(small, "noarch", "repodata.json")):
        shutil.rmtree(small, ignore_errors=True)
        run_measured([os.path.join(context.bin_dir, "standin-channel"), "--out", small])
    return small


def small_channel_answer(context):
    """Solve the worker on the small stand-in and return its records per platform."""
    base = fresh_dir(os.path.join(context.work, "solve", "small-reference"))
    lockfile = os.path.join(base, "worker.lock")
    mirror = "file://" + small_channel(context) + "/"
    run_measured(envlock_solve_argv(context, mirror, os.path.join(base, "cache"), lockfile))
    expect_written(lockfile)
    return explicit_packages(lockfile)


def run_solve(context):
    context.reference = small_channel_answer(context)
    file_url = "file://" + context.channel + "/"
    http_url = context.server.url
    rows = [
        solve_case(context, "file:// cold", file_url, warm=False, no_shards=False, over_http=False),
        solve_case(context, "file:// warm", file_url, warm=True, no_shards=False, over_http=False),
        solve_case(context, "HTTP shards cold", http_url, warm=False, no_shards=False, over_http=True),
        solve_case(context, "HTTP shards warm", http_url, warm=True, no_shards=False, over_http=True),
    ]
    with Server(context, context.plain_channel) as plain:
        saved, context.server = context.server, plain
        try:
            rows.append(
                solve_case(context, "HTTP plain cold", plain.url, warm=False, no_shards=True, over_http=True)
            )
        finally:
            context.server = saved
    return rows


# --- 2. install -----------------------------------------------------------------


def envlock_install_argv(context, lockfile, prefix, cache, copy, mirror):
    argv = [
        context.envlock,
        "install",
        lockfile,
        "--prefix",
        prefix,
        "--platform",
        HOST_PLATFORM,
        "--cache-dir",
        cache,
        "--mirror",
        f"conda-forge={mirror}",
        "-q",
    ]
    if copy:
        argv.append("--copy")
    return argv


def run_install(context):
    base = fresh_dir(os.path.join(context.work, "install"))
    mirror = context.server.url
    lockfile = os.path.join(base, "worker.lock")
    cache = os.path.join(base, "cache-envlock")
    run_measured(envlock_solve_argv(context, mirror, cache, lockfile))
    template = os.path.join(base, "template")
    run_measured(envlock_install_argv(context, lockfile, template, cache, True, mirror))
    tree_bytes = harness.dir_bytes(template)

    copy_row = Row("2 install", "copy (--copy)", peer_name="cp -a of the installed tree")
    link_row = Row("2 install", "hard links", peer_name="cp -al of the installed tree")
    peer_row = Row("2 install", "hard links", peer_name="py-rattler 0.28.0 install")
    python = context.py_rattler
    peer_cache = os.path.join(base, "cache-peer")
    peer_parts = {"read_seconds": [], "install_seconds": [], "import_seconds": []}
    if python:
        warmup = os.path.join(base, "peer-warmup")
        run_peer(peer_install_argv(context, python, mirror, lockfile, peer_cache, warmup), peer_row)
    else:
        peer_row.note = PY_RATTLER_MISSING

    for index in range(context.runs):
        prefix = os.path.join(base, f"prefix-{index}")
        copy_row.envlock.append(
            run_measured(envlock_install_argv(context, lockfile, prefix + "-copy", cache, True, mirror))
        )
        copy_row.peer.append(run_measured(["cp", "-a", template, prefix + "-cp"]))
        link_row.envlock.append(
            run_measured(envlock_install_argv(context, lockfile, prefix + "-link", cache, False, mirror))
        )
        link_row.peer.append(run_measured(["cp", "-al", template, prefix + "-cpl"]))
        peer_row.envlock.append(link_row.envlock[-1])
        if python:
            argv = peer_install_argv(context, python, mirror, lockfile, peer_cache, prefix + "-peer")
            sample, report = run_peer(argv, peer_row)
            peer_row.peer.append(sample)
            for key in ("read_seconds", "install_seconds"):
                peer_parts[key].append(report[key])
            started = run_measured([python, "-c", "import asyncio, json, rattler"])
            peer_parts["import_seconds"].append(started.seconds)
        for suffix in ("-copy", "-cp", "-link", "-cpl", "-peer"):
            shutil.rmtree(prefix + suffix, ignore_errors=True)

    note = f"installed tree {tree_bytes / 2**20:.1f} MiB, warm package cache"
    for row in (copy_row, link_row):
        row.note = note
    parts = ""
    if python:
        parts = (
            "both whole processes that read the lock; of py-rattler's, starting Python and "
            f"importing rattler took {statistics.median(peer_parts['import_seconds']):.3f} s, "
            f"reading the lock {statistics.median(peer_parts['read_seconds']):.3f} s and its "
            f"rattler.install call {statistics.median(peer_parts['install_seconds']):.3f} s (medians)"
        )
    peer_row.note = "; ".join(filter(None, [peer_row.note, note, parts]))
    return [copy_row, link_row, peer_row]


def peer_install_argv(context, python, channel, lockfile, cache, prefix):
    return [
        python,
        context.peer_script(),
        "install-lock",
        "--lock",
        lockfile,
        "--channel",
        channel,
        "--cache-dir",
        cache,
        "--platform",
        HOST_PLATFORM,
        "--prefix",
        prefix,
    ]


# --- 3. check -------------------------------------------------------------------


def run_check(context):
    base = fresh_dir(os.path.join(context.work, "check"))
    mirror = context.server.url
    lockfile = os.path.join(base, "worker.lock")
    run_measured(envlock_solve_argv(context, mirror, os.path.join(base, "cache"), lockfile))
    row = Row("3 check", "nwchem content rule, HTTP Range", peer_name="envlock without Range")
    transferred = {}
    for index in range(context.runs):
        for range_on, samples in ((True, row.envlock), (False, row.peer)):
            context.server.command("range on" if range_on else "range off")
            cache = fresh_dir(os.path.join(base, f"cache-{index}-{range_on}"))
            context.server.reset()
            samples.append(
                run_measured(
                    [
                        context.envlock,
                        "check",
                        "-f",
                        context.env_file,
                        "--lockfile",
                        lockfile,
                        "--mirror",
                        f"conda-forge={mirror}",
                        "--no-default-requirements",
                        "--require",
                        "nwchem=7.3.1",
                        "--cache-dir",
                        cache,
                        "-q",
                    ],
                )
            )
            transferred[range_on] = context.server.stats()[2]
            shutil.rmtree(cache, ignore_errors=True)
    context.server.command("range on")
    row.note = (
        f"archive bytes: {transferred[True]:,} with Range, {transferred[False]:,} without "
        "(cold cache, both platforms; archives under 64 KiB are read whole either way)"
    )
    return [row]


# --- 4. pip ---------------------------------------------------------------------


def run_pip(context):
    base = fresh_dir(os.path.join(context.work, "pip"))
    mirror = "file://" + small_channel(context) + "/"
    requirements = os.path.join(base, "requirements.in")
    with open(requirements, "w") as handle:
        handle.write("\n".join(pip_requirements(context.env_file)) + "\n")

    uv = context.uv
    rows = []
    for warm in (False, True):
        label = "pip section, warm cache" if warm else "pip section, cold cache"
        row = Row("4 pip", label, peer_name="uv pip compile" if uv else "-")
        if uv is None:
            row.note = "uv skipped: not installed (target/uv-venv/bin/uv or uv on PATH) or --without-peers"
        cache = os.path.join(base, "cache-envlock")
        uv_cache = os.path.join(base, "cache-uv")
        lockfile = os.path.join(base, "worker.lock")
        ignore = envlock_solve_argv(context, mirror, cache, lockfile)
        with_pip = [arg for arg in ignore if arg != "--ignore-pip"]
        run_measured(ignore)
        if warm:
            run_measured(with_pip)
            if uv:
                run_measured(uv_argv(uv, requirements, uv_cache))
        for _ in range(context.runs):
            if not warm:
                shutil.rmtree(os.path.join(cache, "pypi"), ignore_errors=True)
                shutil.rmtree(uv_cache, ignore_errors=True)
            conda_only = run_measured(ignore)
            sample = run_measured(with_pip)
            # envlock resolves pip after a conda solve of the small stand-in
            # channel; that solve's time is subtracted.
            sample.seconds = max(sample.seconds - conda_only.seconds, 0.0)
            row.envlock.append(sample)
            if uv:
                row.peer.append(run_measured(uv_argv(uv, requirements, uv_cache)))
        note = "both platforms; envlock time = solve with pip minus solve with --ignore-pip"
        row.note = "; ".join(filter(None, [row.note, note]))
        rows.append(row)
    return rows


def uv_argv(uv, requirements, cache):
    commands = [
        f"{uv} pip compile -q --no-header --python-version 3.11 --python-platform {platform} "
        f"--cache-dir {cache} -o /dev/null {requirements}"
        for platform in PIP_PLATFORMS.values()
    ]
    return ["sh", "-c", " && ".join(commands)]


RUNNERS = {"solve": run_solve, "install": run_install, "check": run_check, "pip": run_pip}


# --- the report -----------------------------------------------------------------


BEGIN_MARK = "<!-- bench/run results: begin -->"
END_MARK = "<!-- bench/run results: end -->"


def write_report(out, context, rows, channel_summary, machine_before, machine_after, skipped):
    """Write the results between the markers of `out`, keeping the text around them."""
    lines = [
        BEGIN_MARK,
        "",
        "Written by `bench/run" + (" --smoke" if context.smoke else "") + "`. Every time is the median of "
        f"{context.runs} run(s) of the whole process (wall clock), measured side by side with its peer "
        "in the same run, one after the other; the ratio is envlock's median over the peer's "
        "(below 1: envlock is faster). Peak resident memory is `/usr/bin/time -v`'s maximum "
        "resident set size.",
        "",
        "### Machine",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in machine_before.items()]
    lines.append(f"- load average after the run: {machine_after['load average (1, 5, 15 min)']}")
    lines += ["", "### Channel", "", "```", channel_summary.rstrip(), "```", "", "### Results", ""]
    lines.append(harness.markdown_table(harness.HEADER, [row.cells() for row in rows]))
    if skipped:
        lines += ["", "Sections not run: " + ", ".join(skipped) + "."]
    lines += ["", END_MARK]
    results = "\n".join(lines)

    before, after = "# Benchmarks\n\n", "\n"
    if os.path.exists(out):
        with open(out) as handle:
            existing = handle.read()
        if BEGIN_MARK in existing and END_MARK in existing:
            before = existing[: existing.index(BEGIN_MARK)]
            after = existing[existing.index(END_MARK) + len(END_MARK) :]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as handle:
        handle.write(before + results + after)
    print(f"report: {out}", file=sys.stderr)
