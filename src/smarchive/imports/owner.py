"""Is the export the account's? Decided on the platform's ids and handles the export names, never on a display
name. An export that names none (LinkedIn's CSVs, a Facebook posts file alone) is taken as the account's, and
the report says so. An export that names its owner only in a form the account lacks (an id, when only the
account's handle is known) is refused: it may be another account's, and nothing can show it is not."""

from __future__ import annotations

from smarchive.errors import SmarchiveError
from smarchive.imports.base import ExportRead
from smarchive.model import Account


def check_owner(read: ExportRead, account: Account) -> None:
    """Raise (one line) if the export names an owner that is not the account."""
    owner = read.owner
    handle = account.handle.lower().lstrip("@")
    if owner.ids and account.platform_id:
        if account.platform_id not in owner.ids:
            raise SmarchiveError(f"{read.source.path} is the export of {read.platform} account "
                                 f"{', '.join(sorted(owner.ids))}, not of {account.id} ({account.platform_id}); "
                                 "nothing was imported")
        return
    if owner.handles and handle:
        if handle not in owner.handles:
            raise SmarchiveError(f"{read.source.path} is the export of {read.platform} account "
                                 f"{', '.join(sorted(owner.handles))}, not of {account.id} ({account.handle}); "
                                 "nothing was imported")
        return
    if owner.ids or owner.handles:
        named = ", ".join(sorted(owner.ids | owner.handles))
        raise SmarchiveError(f"{read.source.path} is the export of {read.platform} account {named}, which cannot be "
                             f"checked against {account.id} (no {'id' if owner.ids else 'handle'} of it is known): "
                             "set its platform_id in the register (or capture it once), or name it with --platform "
                             "and --owner; nothing was imported")
    read.notes.append(f"the export does not say whose it is in a form {account.id} can be checked against "
                      "(an id or handle); imported as that account's")
