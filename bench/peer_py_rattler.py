"""The py-rattler peer of the benchmarks: solve and install with py-rattler.

Run with the Python of a venv that has py-rattler 0.28.0. Prints one JSON
document on stdout.

    python peer_py_rattler.py solve --channel URL --cache-dir DIR \
        --platform linux-64 --spec python=3.11 ... [--no-shards]
    python peer_py_rattler.py install-lock --lock FILE --channel URL \
        --cache-dir DIR --platform linux-64 --prefix DIR

`install-lock` does what `envlock install` does: read the lock, take the
platform's records, point their URLs at the channel (a mirror, so nothing
goes to conda.anaconda.org) and install them.
"""

import argparse
import asyncio
import json
import os
import sys
import time

import rattler
from rattler import (
    Gateway,
    GenericVirtualPackage,
    PackageName,
    SourceConfig,
    Version,
)
from rattler.package.build_string import BuildString

ARCHSPEC = {"linux-64": "x86_64", "linux-aarch64": "aarch64"}


def virtual_packages(platform):
    """Return the virtual packages envlock declares for `platform`."""
    values = [
        ("__unix", "0", "0"),
        ("__linux", "4.18", "0"),
        ("__glibc", "2.28", "0"),
        ("__archspec", "1", ARCHSPEC[platform]),
    ]
    return [
        GenericVirtualPackage(PackageName(name), Version(version), BuildString(build))
        for name, version, build in values
    ]


async def solve_platforms(args):
    """Solve the specs for every platform in turn with one gateway."""
    config = SourceConfig(sharded_enabled=not args.no_shards)
    gateway = Gateway(cache_dir=args.cache_dir, default_config=config)
    solutions = {}
    for platform in args.platform:
        records = await rattler.solve(
            sources=[args.channel],
            specs=args.spec,
            gateway=gateway,
            platforms=[platform, "noarch"],
            virtual_packages=virtual_packages(platform),
        )
        solutions[platform] = records
    return solutions


def file_names(records):
    return sorted(str(record.url).rsplit("/", 1)[-1] for record in records)


def install_lock(args):
    """Install the records of one platform of a lock file and print the times."""
    started = time.perf_counter()
    lock = rattler.LockFile.from_path(args.lock)
    environment = lock.default_environment()
    platform = next(p for p in environment.platforms() if p.name == args.platform[0])
    records = environment.conda_repodata_records_for_platform(platform)
    channel = args.channel.rstrip("/")
    for record in records:
        subdir, file_name = str(record.url).rsplit("/", 2)[-2:]
        record.url = f"{channel}/{subdir}/{file_name}"
    read = time.perf_counter()
    asyncio.run(
        rattler.install(
            records,
            target_prefix=args.prefix,
            cache_dir=f"{args.cache_dir}/pkgs",
            show_progress=False,
            execute_link_scripts=False,
        )
    )
    installed = time.perf_counter()
    report = {"read_seconds": read - started, "install_seconds": installed - read}
    json.dump(report, sys.stdout)
    sys.stdout.flush()
    # py-rattler 0.28.0 sometimes crashes while the interpreter shuts down
    # (exit 134 or 139, after its work is done), so leave without that step.
    os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["solve", "install-lock"])
    parser.add_argument("--channel", required=True)
    parser.add_argument("--cache-dir", required=True)
    parser.add_argument("--platform", action="append", required=True)
    parser.add_argument("--spec", action="append")
    parser.add_argument("--prefix")
    parser.add_argument("--lock")
    parser.add_argument("--no-shards", action="store_true")
    args = parser.parse_args()

    if args.command == "install-lock":
        if args.lock is None or args.prefix is None or len(args.platform) != 1:
            sys.exit("install-lock needs --lock, --prefix and exactly one --platform")
        install_lock(args)
    if not args.spec:
        sys.exit(f"{args.command} needs at least one --spec")

    started = time.perf_counter()
    solutions = asyncio.run(solve_platforms(args))
    solved = time.perf_counter()
    report = {
        "solve_seconds": solved - started,
        "packages": {platform: file_names(records) for platform, records in solutions.items()},
    }

    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
