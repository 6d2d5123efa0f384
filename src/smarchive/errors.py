"""Errors a user can act on. The CLI prints them as one line, never a traceback."""


class SmarchiveError(Exception):
    """A problem with input, configuration or environment, explained in one line."""


class ConfigError(SmarchiveError):
    """The pipeline or account configuration is missing, unreadable or invalid."""


class CaptureError(SmarchiveError):
    """An account could not be captured (wall not passed, platform unreachable...)."""


class LoginWall(CaptureError):
    """The platform showed a login wall instead of the account: the stored login is missing or expired, or the
    platform no longer trusts the session. Besides failing the account, every browser on the platform backs off
    (capture.account's courtesy; scaleout/courtesy.py)."""
