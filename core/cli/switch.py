"""`bot.py plugins enable NAME [--module M]` / `plugins disable NAME`: edit plugins.toml, keeping its comments.

Enabling is refused (nothing written) when the bot could not start with the result: a clash over a
button_type, a plugin that cannot load, a bad setting. A name that is neither a known plugin nor in the
file is refused with a "did you mean". Edits are serialised by a lock, so concurrent ones all land; the
file keeps its mode and owner, and a symlinked config has its target edited. The running bot picks the
change up on restart.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Iterator

import tomlkit

from ..config import Config, load_config, parse_config
from ..errors import ConfigError
from ..registry import discover, load_plugins


def add_arguments(parser: argparse.ArgumentParser, *, enable: bool) -> None:
    parser.add_argument("name", metavar="NAME", help="the plugin's name (its [plugins.NAME] table)")
    if enable:
        parser.add_argument("--module", help="load it from this module (pkg.mod) instead of by name")
    parser.set_defaults(run=run, enable=enable)


def run(args: argparse.Namespace) -> int:
    """Switch the plugin on or off in the config file; print what changed."""
    path = Path(args.config).resolve()  # a symlink's target: the link itself stays as it is
    with _locked(path):
        config = load_config(path)  # the file as it is must be valid before we touch it
        if not (args.enable and args.module):
            _check_known(args.name, config)
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        plugins = document.setdefault("plugins", tomlkit.table(is_super_table=True))
        table = plugins.setdefault(args.name, tomlkit.table())
        was = bool(table.get("enabled", False))
        table["enabled"] = args.enable
        if args.enable and args.module:
            table["module"] = args.module
        if args.enable:
            try:
                load_plugins(parse_config(document.unwrap(), path))
            except ConfigError as error:
                raise ConfigError(f"not enabled, {path.name} is unchanged: {error}") from None
        _write(path, tomlkit.dumps(document).rstrip("\n") + "\n")
    state = "on" if args.enable else "off"
    print(f"{args.name}: {state}" + ("" if was == args.enable else f" (was {'on' if was else 'off'}); "
                                      "restart the bot to apply"))
    return 0


def _check_known(name: str, config: Config) -> None:
    """Refuse a name that no plugin has and the file does not mention, suggesting the closest one."""
    known = sorted(set(discover(config)) | set(config.plugins))
    if name in known:
        return
    guess = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    raise ConfigError(f"no plugin named {name!r}: it is not bundled, installed or in {config.path.name}; {hint}"
                      f"known: {', '.join(known) or 'none'} (`plugins enable NAME --module pkg.mod` adds a new one)")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file's folder while reading and replacing the file (the file itself is
    replaced, so a lock on it would not be seen by the next editor)."""
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _write(path: Path, text: str) -> None:
    """Replace the file in one step, so a crash never leaves half a config; keep its mode and owner."""
    status = path.stat()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            os.fchmod(out.fileno(), status.st_mode & 0o7777)
            made = os.fstat(out.fileno())
            if (status.st_uid, status.st_gid) != (made.st_uid, made.st_gid):
                try:
                    os.fchown(out.fileno(), status.st_uid, status.st_gid)
                except PermissionError:
                    raise ConfigError(f"cannot keep the owner of {path} (uid {status.st_uid}, gid {status.st_gid}); "
                                      f"it is unchanged: run this as its owner") from None
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
