"""Build (or reuse) the project-local virtualenv that runs the real Provena servers.

Run with the *base* interpreter (ideally Python 3.10); only the standard library
is used here, because the venv does not exist yet when this runs.

  python3.10 install.py <repo root> <upstream dir>

Prints the venv's python path on the last line of stdout.

The four apps' requirement files are used exactly as shipped. They name the
shared packages by a path relative to the working directory
(../utilities/packages/python/...), and installing a local project makes pip
write build/ and *.egg-info into the project folder, which fails on the
read-only upstream tree. So at install time we lay out a scratch tree under
.ci/tools/real-servers/stage/ that mirrors the upstream layout: a copy of
utilities/packages/python and, per app, copies of its requirement files; pip
then runs from stage/<app>/. Nothing of that is committed, and the stage is
deleted once the install succeeded.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# moto in server mode provides every AWS API the apps use (DynamoDB, S3, SNS,
# STS, KMS, Secrets Manager). Pinned to the version this harness was verified with.
MOTO_REQUIREMENT = "moto[server]==5.1.22"

# app folder -> requirement files to install (job-api splits its list in two;
# its docker variant pulls the shared packages from git, which we cannot reach).
APPS = {
    "registry-api": ["requirements.txt"],
    "job-api": ["base_requirements.txt", "relative_requirements.txt"],
    "data-store-api": ["requirements.txt"],
    "auth-api": ["requirements.txt"],
}

SHARED_PACKAGES = Path("utilities/packages/python")

# Bump when this script changes what it installs in a way the hash can't see.
LAYOUT_VERSION = "1"


def log(msg: str) -> None:
    print(f"[real-servers install] {msg}", file=sys.stderr, flush=True)


def fingerprint(upstream: Path) -> str:
    """Hash of everything that decides the venv's contents."""
    h = hashlib.sha256()
    h.update(f"layout={LAYOUT_VERSION}\n".encode())
    h.update(f"python={sys.version}\nexe={os.path.realpath(sys.executable)}\n".encode())
    h.update(f"moto={MOTO_REQUIREMENT}\n".encode())
    files = []
    for app, reqs in APPS.items():
        files += [upstream / app / r for r in reqs]
    # The shared packages are installed by copy, so their sources matter too.
    for p in sorted((upstream / SHARED_PACKAGES).rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            files.append(p)
    for f in files:
        h.update(str(f.relative_to(upstream)).encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()


def run(cmd, cwd=None) -> None:
    log("$ " + " ".join(str(c) for c in cmd) + (f"   (in {cwd})" if cwd else ""))
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True,
                   stdout=sys.stderr, stderr=sys.stderr)


def main() -> int:
    repo = Path(sys.argv[1]).resolve()
    upstream = Path(sys.argv[2]).resolve()
    tools = repo / ".ci" / "tools" / "real-servers"
    venv = tools / "venv"
    stamp = venv / ".real-servers-stamp"
    vpy = venv / "bin" / "python"

    want = fingerprint(upstream)

    def up_to_date() -> bool:
        return vpy.exists() and stamp.exists() and stamp.read_text().strip() == want

    if up_to_date():
        print(vpy)
        return 0

    # Two harness runs starting together on a cold checkout: one builds, the
    # other waits and then finds the stamp in place.
    tools.mkdir(parents=True, exist_ok=True)
    with open(tools / "install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if up_to_date():
            print(vpy)
            return 0
        return build(repo, upstream, tools, venv, vpy, stamp, want)


def build(repo: Path, upstream: Path, tools: Path, venv: Path, vpy: Path, stamp: Path, want: str) -> int:

    if sys.version_info[:2] != (3, 10):
        log(f"WARNING: building the venv with Python {sys.version.split()[0]}; "
            "the apps are pinned for 3.10 (their Dockerfiles use python:3.10)")

    started = time.monotonic()
    tools.mkdir(parents=True, exist_ok=True)
    if venv.exists():
        log("requirements or python changed: rebuilding the venv")
        shutil.rmtree(venv)
    run([sys.executable, "-m", "venv", venv])
    run([vpy, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools", "wheel"])

    # Scratch copy of the shared packages plus each app's requirement files,
    # so that "../utilities/..." resolves from stage/<app>/ and pip may write
    # its build artefacts.
    stage = tools / "stage"
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(upstream / SHARED_PACKAGES, stage / SHARED_PACKAGES,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    # copytree keeps the read-only mode bits of the source: make the copy writable.
    for root, dirs, files in os.walk(stage):
        for name in dirs + files:
            p = os.path.join(root, name)
            os.chmod(p, os.stat(p).st_mode | 0o200)
        os.chmod(root, os.stat(root).st_mode | 0o200)

    args = []
    for app, reqs in APPS.items():
        (stage / app).mkdir(parents=True, exist_ok=True)
        for r in reqs:
            shutil.copy2(upstream / app / r, stage / app / r)
            os.chmod(stage / app / r, 0o644)
            args += ["-r", f"../{app}/{r}"]
    # One resolver pass over all four apps' lists: they must agree anyway,
    # since they share one venv. Run from one app folder so that the relative
    # package paths resolve (every app uses the same ../utilities/... paths).
    run([vpy, "-m", "pip", "install", "--quiet", *args, MOTO_REQUIREMENT],
        cwd=stage / "registry-api")
    shutil.rmtree(stage)

    stamp.write_text(want + "\n")
    log(f"venv ready in {time.monotonic() - started:.0f}s")
    print(vpy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
