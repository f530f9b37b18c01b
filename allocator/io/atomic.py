"""Output folders and files: written beside the target, swapped in at once, and only over what
the tool itself wrote.

The rules (user docs: docs/plan-format.md, "Output folders"):

- **Only ours.** An existing folder is replaced only if it is empty, or if it holds the marker
  file :data:`MARKER` that this module writes into every output folder, of the same kind
  (plan, report, ...), and nothing besides what the marker lists (a file the user added makes
  the folder theirs again). ``force`` lifts this rule, and only this rule.
- **Never** the current directory or one of its parents, the home directory, an input of the
  command (see :func:`output_policy`) or a parent of an input; not even with ``force``.
- **Atomic.** The new folder is written beside the target (a hidden sibling
  ``.NAME.allocator-new-XXXX``, marked and locked by its writer) and swapped in with one
  ``renameat2(RENAME_EXCHANGE)`` system call, so the target always holds a complete folder,
  the old one or the new one; the old one is removed afterwards. Where the kernel or file
  system lacks the exchange, the old folder is renamed aside (``.NAME.allocator-old-XXXX``)
  and the new one renamed in; a writer killed between the two renames leaves the old folder
  aside, and the next writer puts it back.
- **Concurrent writers** swap one at a time under an exclusive ``flock`` of the parent
  directory (held for the swap only, not while writing): all of them succeed, the last one's
  folder stays, and each removes the folder it replaced.
- **Leftovers** of a killed writer are recognised by their name and marker and by their lock:
  a writer holds an ``flock`` on its marker file while it lives, and the kernel drops it when
  the process dies. The next writer of the same target removes (or restores) them.

Single files (``allocator diff -o FILE.csv``, ``export -o plan.gpkg``) follow the same rules with
:func:`atomic_output_file`: a file is ours when its first line is the header we write (or a
check the writer gives says so); its temporary copy lives in a marked, locked hidden folder.
"""
from __future__ import annotations

import contextlib
import contextvars
import ctypes
import errno
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

try:  # POSIX; elsewhere writers are not serialised (and leftovers are never judged dead)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

#: the file that marks a folder as written by allocator (JSON: format, kind, manifest)
MARKER = ".allocator-output"
MARKER_FORMAT = "allocator-output/1"
#: set to 1 to use rename-aside-then-rename-in even where RENAME_EXCHANGE works (tests, odd file systems)
NO_EXCHANGE_ENV = "ALLOCATOR_NO_RENAME_EXCHANGE"
#: test hook "STAGE:FILE": on reaching STAGE a writer creates FILE and sleeps (to be killed there)
PAUSE_ENV = "ALLOCATOR_TEST_PAUSE"

FIX_FORCE = ("write to a new folder (another -o path), move your files out of it, "
             "or pass --force to replace it and everything in it")


# --------------------------------------------------------------------------- what may be replaced
@dataclass(frozen=True)
class OutputPolicy:
    force: bool = False
    inputs: tuple[Path, ...] = ()


_policy: contextvars.ContextVar[OutputPolicy] = contextvars.ContextVar("allocator_output_policy",
                                                                       default=OutputPolicy())


@contextlib.contextmanager
def output_policy(*, force: bool = False, inputs=()):
    """Within this block every output folder or file is written under these terms: ``force``
    replaces a folder allocator did not write; ``inputs`` (paths the command reads) and their
    parents are never replaced. The CLI sets it once per command."""
    resolved = tuple(_resolve(p) for p in inputs if p is not None and str(p) != "")
    token = _policy.set(OutputPolicy(force=bool(force), inputs=resolved))
    try:
        yield
    finally:
        _policy.reset(token)


def _resolve(path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def _never_replaced(target: Path, shown) -> None:
    """The paths not even ``force`` replaces: cwd and its parents, home, inputs and their parents."""
    real = _resolve(target)
    cwd = _resolve(os.getcwd())
    if real == cwd or real in cwd.parents:
        what = "the current directory" if real == cwd else "a parent of the current directory"
        raise InputError(f"is {what}; allocator never replaces it (not even with --force)", file=shown,
                         fix="name a new folder for the output, e.g. -o plan")
    if real == _resolve(Path.home()) or real == Path(real.anchor):
        raise InputError("is your home directory or the file system root; allocator never replaces it",
                         file=shown, fix="name a new folder for the output, e.g. -o plan")
    for source in _policy.get().inputs:
        if real == source or real in source.parents:
            what = "an input of this command" if real == source else f"a parent of the input {source}"
            raise InputError(f"is {what}; allocator never writes over its inputs (not even with --force)",
                             file=shown, fix=f"write somewhere else, e.g. -o {Path(shown).name or 'out'}-out")


def read_marker(folder: str | Path) -> dict | None:
    """The marker of an output folder, or None when it has none (or an unreadable one)."""
    try:
        data = json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == MARKER_FORMAT else None


def _entries(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, relative, folders ending in '/'; sorted."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out += [(rel / d).as_posix() + "/" for d in dirs]
        out += [(rel / f).as_posix() for f in files]
    return sorted(out)


def check_output_dir(target: str | Path, *, kind: str, overwrite: bool = True, force: bool | None = None,
                     preserve: tuple[str, ...] = ()) -> Path:
    """Raise :class:`InputError` (exit 2) unless a folder of ``kind`` may be written at ``target``
    (module docstring); ``FileExistsError`` when it exists and ``overwrite`` is false.
    ``force`` None: the :func:`output_policy` in force; ``preserve``: top-level files that do not
    count as the user's (they are carried over). Returns ``target`` as a Path."""
    shown = str(target)
    target = Path(target)
    if shown.strip() == "":
        raise InputError("the output path is empty", fix="name a folder, e.g. -o plan")
    force = _policy.get().force if force is None else force
    _never_replaced(target, shown)
    for parent in reversed(target.absolute().parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(f"cannot make a folder inside {parent}: it is a file", file=shown,
                             fix="choose a path whose parent folders are folders")
    if target.is_symlink():
        raise InputError("is a symbolic link; allocator replaces only real folders", file=shown,
                         fix="give the path the link points to, or a new folder")
    if not target.exists():
        return target
    if not target.is_dir():
        raise InputError("exists and is a file, not a folder (the output is a folder of files)", file=shown,
                         fix="name a new folder, or move the file away")
    if not overwrite:
        raise FileExistsError(target)
    if force or not any(target.iterdir()):
        return target
    marker = read_marker(target)
    if marker is None:
        raise InputError(f"exists and was not written by allocator (it has no {MARKER} file); "
                         "allocator replaces only folders it wrote itself", file=shown, fix=FIX_FORCE)
    if marker.get("kind") != kind:
        raise InputError(f"holds {_a(marker.get('kind'))} written by allocator, not {_a(kind)}; "
                         "refusing to replace it", file=shown, fix=FIX_FORCE)
    foreign = sorted(set(_entries(target)) - set(marker.get("files", [])) - {MARKER} - set(preserve))
    if foreign:
        more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        raise InputError(f"holds files allocator did not write ({', '.join(foreign[:5])}{more}); "
                         "refusing to replace them", file=shown, fix=FIX_FORCE)
    return target


def _a(kind) -> str:
    kind = str(kind or "folder")
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


# --------------------------------------------------------------------------- system calls
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_exchange_works = [os.environ.get(NO_EXCHANGE_ENV, "") in ("", "0")]


def _renameat2():
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a libc without it (glibc < 2.28)
        return None


_RENAMEAT2 = _renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if _RENAMEAT2 is None or not _exchange_works[0]:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        _exchange_works[0] = False  # this file system cannot; fall back from now on
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _locked_parent(parent: Path):
    """Exclusive flock of the parent directory: one swap at a time among our writers."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def _lock(path: Path, *, wait: bool) -> int | None:
    """An fd holding an exclusive flock on ``path``; None if another process holds it (wait=False)."""
    fd = os.open(path, os.O_RDONLY)
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _pause(stage: str) -> None:
    """Test hook (:data:`PAUSE_ENV`): stop at ``stage`` so a test can kill the process there."""
    spec = os.environ.get(PAUSE_ENV)
    if spec and spec.split(":", 1)[0] == stage:
        Path(spec.split(":", 1)[1]).write_text(str(os.getpid()), encoding="utf-8")
        while True:
            time.sleep(60)


def _cannot_write(err: OSError, where: Path, shown: str) -> InputError:
    why = err.strerror or str(err)
    fix = ("choose a folder you can write to" if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
           else "free some space, or write elsewhere" if err.errno in (errno.ENOSPC, errno.EDQUOT)
           else "check the output path")
    return InputError(f"cannot write the output in {where}: {why}", file=shown, fix=fix)


# --------------------------------------------------------------------------- leftovers
def _sibling_pattern(name: str) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(name)}\.allocator-(new|old)-[A-Za-z0-9_]+$")


def clean_leftovers(target: str | Path, *, lock: bool = False) -> list[Path]:
    """Remove what killed writers of ``target`` left beside it (under the parent lock: the caller
    holds it, or ``lock=True`` takes it here).

    A leftover is a sibling named like ours, holding our marker (or nothing), whose writer is
    gone (its marker lock is free). A folder set aside by a writer killed before it could put
    its new folder in is put back when ``target`` is missing. Returns the paths dealt with.
    """
    target = Path(target).absolute()
    if lock:
        if not target.parent.is_dir():
            return []
        with _locked_parent(target.parent):
            return clean_leftovers(target)
    pattern = _sibling_pattern(target.name)
    done = []
    try:
        names = sorted(os.listdir(target.parent))
    except OSError:
        return done
    for name in names:
        m = pattern.match(name)
        if not m:
            continue
        path = target.parent / name
        holder = _dead_writer(path)
        if holder is False:
            continue
        try:
            if m.group(1) == "old" and path.is_dir() and not os.path.lexists(target):
                os.rename(path, target)  # the previous folder, whose replacement never came in
            elif path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        finally:
            if holder is not None:
                os.close(holder)
        done.append(path)
    return done


def _dead_writer(path: Path):
    """False if ``path`` is not a dead writer's leftover; else an fd holding its lock (or None)."""
    try:  # another writer may be removing ``path`` (its replaced folder) right now: then leave it
        lock_on = path / MARKER if path.is_dir() else path
        if path.is_dir() and not lock_on.exists():
            return None if not any(path.iterdir()) else False  # empty: killed right after mkdtemp
        if path.is_dir() and read_marker(path) is None:
            return False  # not ours: leave it
        fd = _lock(lock_on, wait=False)
    except OSError:
        return False
    return False if fd is None else fd


def _new_sibling(parent: Path, name: str, kind: str) -> tuple[Path, int]:
    """A hidden, marked and locked temporary folder beside ``parent/name``."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.allocator-new-", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; the result is an ordinary folder
        (tmp / MARKER).write_text(_marker_text(kind, None), encoding="utf-8")
        return tmp, _lock(tmp / MARKER, wait=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _marker_text(kind: str, files: list[str] | None) -> str:
    """Deterministic (no time, no host): a generated instance stays byte-identical."""
    return json.dumps({"format": MARKER_FORMAT, "kind": kind, "written_by": "allocator",
                       "complete": files is not None, "files": files or []}, indent=1, ensure_ascii=False) + "\n"


def _write_marker(folder: Path, kind: str) -> None:
    """Fill the marker in place (same inode: its writer's lock holds) with every entry written."""
    text = _marker_text(kind, [e for e in _entries(folder) if e != MARKER])
    with open(folder / MARKER, "r+", encoding="utf-8") as fh:
        fh.truncate(0)
        fh.write(text)


# --------------------------------------------------------------------------- folders
@contextlib.contextmanager
def atomic_output_dir(target: str | Path, *, kind: str = "output", overwrite: bool = True,
                      preserve: tuple[str, ...] = (), force: bool | None = None):
    """Yield a temporary folder beside ``target``; when the block ends without an exception it
    replaces ``target`` at once (see the module docstring for what may be replaced); on an
    exception it is removed and ``target`` is untouched.

    kind : what the folder is ("plan", "report", ...): a folder of another kind is not replaced
        without ``force``.
    overwrite : False: raise FileExistsError if ``target`` exists.
    preserve : names of files in the old folder carried into the new one (e.g. a README the
        user keeps there); they do not make the old folder foreign.
    force : replace a folder allocator did not write (None: the :func:`output_policy`'s).

    Raises
    ------
    InputError
        ``target`` may not be replaced, or cannot be written (exit 2, with why and a fix).
    """
    shown = str(target)
    force = _policy.get().force if force is None else force
    options = {"kind": kind, "overwrite": overwrite, "force": force, "preserve": preserve}
    check_output_dir(target, **options)  # before anything is touched
    target = Path(target).absolute()
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # under the parent lock: a killed writer's folder set aside is put back before it is judged,
        # and our own folder is created, marked and locked before another writer's clean-up can see it
        with _locked_parent(parent):
            clean_leftovers(target)
            check_output_dir(target, **options)
            tmp, fd = _new_sibling(parent, target.name, kind)
    except OSError as err:
        raise _cannot_write(err, parent, shown) from None
    try:
        _pause("started")
        yield tmp
        _pause("written")
        try:
            with _locked_parent(parent):
                clean_leftovers(target)
                check_output_dir(target, **options)  # again: the folder may have changed meanwhile
                for name in preserve:
                    kept = target / name
                    if kept.is_file() and not (tmp / name).exists():
                        shutil.copy2(kept, tmp / name)
                _write_marker(tmp, kind)
                _pause("locked")
                old = _swap_in(tmp, target)
        except OSError as err:
            raise _cannot_write(err, parent, shown) from None
        if old is not None:
            _pause("swapped")
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(fd)


def _swap_in(tmp: Path, target: Path) -> Path | None:
    """Put ``tmp`` at ``target``; the replaced folder (now at a locked, marked temporary name)
    is returned for removal, None when there was none."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
        return None
    if target.is_dir() and not any(target.iterdir()):
        os.rmdir(target)
        os.rename(tmp, target)
        return None
    if _exchange(tmp, target):
        return tmp  # the old folder is now at tmp's name
    aside = tmp.with_name(tmp.name.replace(".allocator-new-", ".allocator-old-"))
    os.rename(target, aside)
    _pause("aside")
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(aside, target)
        raise
    return aside


# --------------------------------------------------------------------------- single files
def check_output_file(target: str | Path, *, header: str | None = None, ours=None,
                      force: bool | None = None) -> Path:
    """Raise :class:`InputError` unless ``target`` may be (re)written: an existing file is replaced
    only if it is empty, or its first line is ``header`` (a table this command wrote), or
    ``ours(path)`` says so (e.g. a GeoPackage of our layers), or with ``force``; never a folder,
    an input or a path under a file."""
    shown = str(target)
    target = Path(target)
    if shown.strip() == "":
        raise InputError("the output path is empty", fix="name a file, e.g. -o changes.csv")
    force = _policy.get().force if force is None else force
    _never_replaced(target, shown)
    if target.is_dir():
        raise InputError("is a folder; this output is a single file", file=shown,
                         fix=f"name a file, e.g. -o {target / 'out.csv'}")
    for parent in reversed(target.absolute().parents):
        if parent.exists() and not parent.is_dir():
            raise InputError(f"cannot write inside {parent}: it is a file", file=shown,
                             fix="choose a path whose parent folders are folders")
    if not target.exists() or force or target.stat().st_size == 0:
        return target
    if header is not None:
        try:
            with open(target, encoding="utf-8-sig") as fh:
                if fh.readline().rstrip("\r\n") == header:
                    return target
        except (OSError, UnicodeDecodeError):
            pass
    if ours is not None and ours(target):
        return target
    raise InputError("exists and does not hold what this command writes; refusing to replace it",
                     file=shown, fix="write to a new file, or pass --force to replace it")


@contextlib.contextmanager
def atomic_output_file(target: str | Path, *, header: str | None = None, ours=None, force: bool | None = None):
    """Yield a temporary path for ``target`` (inside a hidden, marked and locked folder beside it,
    so any writer, GDAL included, may create it as it likes); on success it replaces ``target``
    in one rename (rules: :func:`check_output_file`); on an exception it is removed."""
    shown = str(target)
    rules = {"header": header, "ours": ours, "force": force}
    check_output_file(target, **rules)
    target = Path(target).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked_parent(target.parent):  # invisible to other writers' clean-up until marked and locked
            tmp, fd = _new_sibling(target.parent, target.name, "file")
    except OSError as err:
        raise _cannot_write(err, target.parent, shown) from None
    try:
        yield tmp / target.name
        try:
            with _locked_parent(target.parent):
                clean_leftovers(target)
                check_output_file(target, **rules)
                os.replace(tmp / target.name, target)
        except OSError as err:
            raise _cannot_write(err, target.parent, shown) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.close(fd)


__all__ = ["MARKER", "OutputPolicy", "atomic_output_dir", "atomic_output_file", "check_output_dir",
           "check_output_file", "clean_leftovers", "output_policy", "read_marker"]
