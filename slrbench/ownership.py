"""Run directories slrbench owns: a marker says slrbench made the folder (and with which command),
and an OS lock keeps a second process out while one works in it.

    slrbench-run.json  {"made_by": "slrbench run", "slrbench": "0.1.0", "created": "..."}
    .slrbench.lock     locked (fcntl.flock) by the process working in the folder; holds "pid host"

slrbench writes into, resumes or replaces only a folder that carries the marker (or a run made
before markers existed: a config.json with slrbench's plan); any other existing, non-empty folder,
and any path that is a file, is refused with one line before anything is written. The lock is
taken on an open file, so the kernel releases it when the process ends, however it ends
(SIGKILL included): a lock left by a dead process is never in the way. No torch here.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Iterator, Optional

from slrbench.errors import UsageError
from slrbench.files import write_text_atomically

MARKER = "slrbench-run.json"
LOCK = ".slrbench.lock"
OWN_FILES = (MARKER, LOCK)


def read_marker(folder: Path) -> Optional[dict[str, Any]]:
    """The folder's marker, or None when it has none or one slrbench did not write."""
    path = folder / MARKER
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if isinstance(document, dict) and str(document.get("made_by", "")).startswith("slrbench "):
        return document
    return None


def marker_document(command: str) -> dict[str, Any]:
    import slrbench

    return {"made_by": f"slrbench {command}", "slrbench": slrbench.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S")}


def write_marker(folder: Path, command: str) -> None:
    """Mark `folder` as made by `slrbench COMMAND` (e.g. "run", "import-checkpoint")."""
    write_text_atomically(folder / MARKER, json.dumps(marker_document(command), indent=2) + "\n")


def made_by_slrbench(folder: Path) -> bool:
    """The marker, or a run directory from before markers existed (config.json with slrbench's plan)."""
    if read_marker(folder) is not None:
        return True
    if (folder / MARKER).exists():
        return False  # a marker slrbench cannot read is not one
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    plan = config.get("plan") if isinstance(config, dict) else None
    return (isinstance(plan, dict) and isinstance(plan.get("settings"), dict) and isinstance(plan.get("plugins"), dict)
            and ("versions" in config or "imported_from" in config))


def _entries(folder: Path) -> list[str]:
    try:
        return [entry.name for entry in folder.iterdir()]
    except OSError as error:
        raise UsageError(f"{folder}: cannot be read ({error.strerror or error})") from None


def check_destination(folder: Path, option: str = "--out") -> None:
    """Stop with one line unless `folder` may become (or already is) a slrbench run directory:
    absent, empty, or made by slrbench. Writes nothing."""
    for parent in (folder, *folder.parents):
        if parent.exists() or parent.is_symlink():
            break
    else:
        return
    if parent != folder:
        if not parent.is_dir():
            raise UsageError(f"{option} {folder}: {parent} is a file, not a folder; choose another {option}")
        return
    if not folder.is_dir():
        raise UsageError(f"{option} {folder} is a file, not a folder; give a folder for the run directory")
    entries = [name for name in _entries(folder) if name != LOCK]
    if entries and not made_by_slrbench(folder):
        why = f"its {MARKER} is not slrbench's" if MARKER in entries else f"no {MARKER}"
        raise UsageError(f"{option} {folder} holds files slrbench did not write ({why}); "
                         "choose a new or empty folder")


class RunDirLock:
    """An exclusive lock on a run directory, held until `release` or the end of the process."""

    def __init__(self, folder: Path, descriptor: int, created: bool):
        self.folder, self.descriptor, self.created = folder, descriptor, created

    @classmethod
    def acquire(cls, folder: Path, option: str = "--out", created: bool = False) -> "RunDirLock":
        """Lock `folder` (which exists) or stop with one line naming the process that holds it."""
        path = folder / LOCK
        for _ in range(5):  # the lock file may be removed by a holder cleaning up (see `release`)
            try:
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as error:
                raise UsageError(f"{option} {folder}: cannot write in it ({error.strerror or error})") from None
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(descriptor)
                os.close(descriptor)
                raise UsageError(f"{option} {folder} is in use by another slrbench process ({holder}); wait for it "
                                 f"to finish or choose another {option}") from None
            except OSError as error:
                os.close(descriptor)
                raise UsageError(f"{option} {folder}: cannot lock it ({error.strerror or error})") from None
            if _same_file(descriptor, path):
                os.ftruncate(descriptor, 0)
                os.write(descriptor, f"{os.getpid()} {socket.gethostname()}\n".encode())
                return cls(folder, descriptor, created)
            os.close(descriptor)  # locked a file that was just removed: take the new one
        raise UsageError(f"{option} {folder} is in use by another slrbench process; choose another {option}")

    def release(self, remove_unused: bool = False) -> None:
        """Unlock; with `remove_unused`, remove a folder this process created if it holds nothing
        but the marker and the lock (a run that stopped before writing anything)."""
        if self.descriptor < 0:
            return
        try:
            if remove_unused and self.created and set(_entries(self.folder)) <= set(OWN_FILES):
                for name in OWN_FILES:
                    (self.folder / name).unlink(missing_ok=True)
                self.folder.rmdir()
        except (OSError, UsageError):
            pass  # the folder stays as it is: nothing of the user's is in it
        finally:
            os.close(self.descriptor)
            self.descriptor = -1


def _read_holder(descriptor: int) -> str:
    try:
        pid, _, host = os.pread(descriptor, 256, 0).decode("utf-8", "replace").strip().partition(" ")
    except OSError:
        return "holder unknown"
    return f"pid {pid} on {host}" if pid.isdigit() and host else "holder unknown"


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        return os.fstat(descriptor).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def claim_run_dir(folder: Path, command: str, option: str = "--out") -> RunDirLock:
    """Check `folder` (`check_destination`), create it if needed, lock it and mark it as made by
    `slrbench COMMAND`. Release the lock (`RunDirLock.release`) when done."""
    check_destination(folder, option)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{option} {folder}: cannot create it ({error.strerror or error})") from None
    lock = RunDirLock.acquire(folder, option, created)
    try:
        check_destination(folder, option)  # again, under the lock: another process may have written meanwhile
        if read_marker(folder) is None:
            write_marker(folder, command)
    except UsageError:
        lock.release(remove_unused=True)
        raise
    except OSError as error:
        lock.release(remove_unused=True)
        raise UsageError(f"{option} {folder}: cannot write in it ({error.strerror or error})") from None
    return lock


@contextlib.contextmanager
def locked_if_owned(folder: Path, option: str = "--out") -> Iterator[None]:
    """Hold the lock of an existing slrbench folder (that is about to be replaced) for the block."""
    if not folder.is_dir() or not made_by_slrbench(folder):
        yield
        return
    lock = RunDirLock.acquire(folder, option)
    try:
        yield
    finally:
        lock.release()
