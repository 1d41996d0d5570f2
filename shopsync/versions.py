"""The versions a run's verdicts came from: phone validity follows phonenumbers' metadata."""

from __future__ import annotations

__all__ = ["verdict_versions", "versions_line"]


def verdict_versions() -> dict[str, str]:
    """``{"shopsync": ..., "phonenumbers": ...}``: store it with a run, print it in reports."""
    import phonenumbers

    from shopsync import __version__

    return {"shopsync": __version__, "phonenumbers": phonenumbers.__version__}


def versions_line() -> str:
    """One line for a report: ``verdicts by shopsync 0.1.0, phonenumbers 9.0.43``."""
    return "verdicts by " + ", ".join(f"{k} {v}" for k, v in verdict_versions().items())
