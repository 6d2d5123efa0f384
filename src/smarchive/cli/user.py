"""`smarchive user add|remove|list`: the workbench's users and roles (smarchive.workbench.users).

The password is read from a hidden prompt (asked twice), or from stdin with --password-stdin (one line,
for scripts); never from a flag, so it lands in no shell history or process list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from smarchive.errors import SmarchiveError

_archive = click.option("--archive", type=click.Path(path_type=Path), default=Path("archive"), show_default=True)
_users = click.option("--users", "users_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
                      help="The users file (default: $SMARCHIVE_USERS, else ARCHIVE/workbench/users.toml).")


@click.group("user")
def user_group() -> None:
    """Users of the workbench (`smarchive serve`): reader, archivist, registrar."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reader", "archivist", "registrar"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@_archive
@_users
def add_command(name: str, role: str, password_stdin: bool, archive: Path, users_file: Path | None) -> None:
    """Add NAME with ROLE (or give an existing user a new role and password)."""
    from smarchive.workbench import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"password for {name}", hide_input=True, confirmation_prompt=True)
    path = users.users_path(archive, users_file)
    users.add(path, name, role, password)
    click.echo(f"user {name} ({role}) saved in {path}")


@user_group.command("remove")
@click.argument("name")
@_archive
@_users
def remove_command(name: str, archive: Path, users_file: Path | None) -> None:
    """Remove NAME: the next request of a session of theirs is refused."""
    from smarchive.workbench import users

    path = users.users_path(archive, users_file)
    users.remove(path, name)
    click.echo(f"user {name} removed from {path}")


@user_group.command("list")
@_archive
@_users
def list_command(archive: Path, users_file: Path | None) -> None:
    """The users and their roles."""
    from smarchive.workbench import users

    path = users.users_path(archive, users_file)
    found = users.load(path)
    if not found:
        raise SmarchiveError(f"no users in {path}: add one with `smarchive user add NAME --role archivist`")
    for name in sorted(found):
        click.echo(f"{name}\t{found[name]['role']}")
