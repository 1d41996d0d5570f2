"""Exceptions, grouped by what the caller should do: fix input, retry, skip a record, or stop."""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputFileError",
    "ProtectedDataRefused",
    "RetriableError",
    "ShopifyRefused",
    "ShopifyUnavailable",
    "ShopsyncError",
    "StopError",
    "UnknownSource",
    "UserInputError",
    "WriteOutcomeUnknown",
]


class ShopsyncError(Exception):
    """Root of every error shopsync raises on purpose."""


class UserInputError(ShopsyncError):
    """The user must fix something they gave us (a file, a setting, an argument).

    The CLI prints these as one line, without a traceback.
    """


class ConfigError(UserInputError):
    """A settings file is invalid; ``problems`` lists every problem found, not only the first."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s):\n{lines}")


class UnknownSource(UserInputError):
    """A source name that is none of the known ones; ``known`` lists them."""

    def __init__(
        self, what: str, name: str, known: tuple[str, ...], also: str = "", note: str = ""
    ):
        self.name = name
        self.known = tuple(known)
        choices = ", ".join(self.known) + (f" or {also}" if also else "")
        said = f" ({note})" if note else ""
        super().__init__(f"{what} {name!r} is not known{said}: use {choices}")


class InputFileError(UserInputError):
    """A data file cannot be read as asked; the message names the file, row and column."""

    def __init__(
        self, path: str, message: str, *, row: int | None = None, column: str | None = None
    ):
        self.path = str(path)
        self.row = row
        self.column = column
        where = self.path
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class RetriableError(ShopsyncError):
    """A transient failure (network, throttling, 5xx): the same call may succeed later."""


class WriteOutcomeUnknown(RetriableError):
    """A write that must not be repeated blindly was sent, and no answer came back: Shopify
    may or may not have applied it. Read Shopify's state before sending it again."""

    def __init__(self, operation: str, message: str):
        self.operation = operation
        super().__init__(f"{operation}: {message}; its outcome is unknown")


class StopError(ShopsyncError):
    """The run cannot go on (authentication refused, another writer holds the lock...)."""


class _ShopifyAnswer:
    """What an error about one Shopify call carries: the operation, and Shopify's request id
    when it sent one (to quote to Shopify support)."""

    operation: str
    request_id: str

    def __init__(self, operation: str, message: str, request_id: str = ""):
        self.operation = operation
        self.request_id = request_id
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{operation}: {message}{suffix}")


class ShopifyUnavailable(_ShopifyAnswer, RetriableError):
    """Shopify did not answer usefully after every try (network, 5xx, throttling)."""


class ShopifyRefused(_ShopifyAnswer, StopError):
    """Shopify refused the request itself: bad token, missing scope, invalid or too costly
    query. Retrying cannot help; the message says what to fix."""


class ProtectedDataRefused(ShopifyRefused):
    """Shopify withholds protected customer data (the Customer object, or its name, e-mail,
    phone and address fields) from this app. A configuration problem: never retried."""

    def __init__(self, operation: str, detail: str = "", request_id: str = ""):
        said = f' Shopify said: "{detail}".' if detail else ""
        super().__init__(
            operation,
            "this app is not approved to access protected customer data, so shopsync cannot "
            "read or write customers. In the app's settings (Partner Dashboard > Apps > API "
            "access > Protected customer data access, or the store admin's app development page "
            "for a custom app) select the customer data use and request access to the Customer "
            "object and to the name, e-mail, phone and address fields, then run again. On some "
            "plans Shopify only grants these fields to approved public apps. Nothing was "
            "changed; retrying cannot help until access is granted." + said,
            request_id,
        )
