"""The one seam between smarchive and its sandbox: start it, log in to it, read its settings.

The pipeline and the command line reach the sandbox only through here. The `[sandbox]` table of a
pipeline holds the fields of `SandboxConfig` (the world: seed, sizes, fault rates) plus the run's own
keys (RUN_KEYS); any other key is an error naming the allowed ones, so a typo is not silently a
different world.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import MISSING, fields
from typing import Any

from smarchive.errors import ConfigError
from smarchive.sandbox.content import SandboxConfig
from smarchive.sandbox.web import SANDBOX_CREDENTIALS

__all__ = ["RUN_KEYS", "SANDBOX_CREDENTIALS", "allowed_keys", "auto_login", "sandbox_config", "start"]

# Keys of [sandbox] that steer the run, not the world: login = "auto" logs in with SANDBOX_CREDENTIALS
# when no stored login state exists; any other value means `smarchive login` must be run first.
RUN_KEYS = ("login",)


def allowed_keys() -> tuple[str, ...]:
    return tuple(f.name for f in fields(SandboxConfig)) + RUN_KEYS


def sandbox_config(settings: Mapping[str, Any], where: str = "[sandbox]") -> SandboxConfig:
    """The world described by a pipeline's [sandbox] table; unknown keys and wrong types are errors."""
    unknown = sorted(set(settings) - set(allowed_keys()))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(allowed_keys())})")
    values = {}
    for f in fields(SandboxConfig):
        if f.name in settings:
            values[f.name] = _typed(settings[f.name], f.default if f.default is not MISSING else None,
                                    f"{where} {f.name}")
    return SandboxConfig(**values)


def _typed(value: Any, default: Any, where: str) -> Any:
    """`value` as the type of the field's default (TOML gives lists where the config keeps tuples)."""
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, float):
        ok, value = isinstance(value, int | float), float(value) if isinstance(value, int | float) else value
    elif isinstance(default, tuple):
        ok, value = isinstance(value, list | tuple), tuple(value) if isinstance(value, list | tuple) else value
    else:
        ok = default is None or isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{where}: expected {type(default).__name__}, got {value!r}")
    return value


def auto_login(settings: Mapping[str, Any] | None) -> bool:
    """The sandbox logs in by itself (with its public test account) unless the table says otherwise."""
    return settings is not None and settings.get("login", "auto") == "auto"


def start(settings: Mapping[str, Any], stack: ExitStack, where: str = "[sandbox]") -> str:
    """Start the sandbox described by `settings` on 127.0.0.1; it stops when `stack` closes. Returns its base URL."""
    from smarchive.sandbox.server import SandboxServer  # the server builds the world: only when started

    server = SandboxServer(sandbox_config(settings, where))
    base = server.start()
    stack.callback(server.stop)
    return base
