"""How long work is shown: a bar on a terminal, one line per table otherwise (logs, pipes).

Everything goes to stderr: stdout may be the backup itself (`medianest backup -`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, Protocol

import click


class Progress(Protocol):
    def table(self, name: str, rows: int) -> None: ...

    def advance(self, rows: int) -> None: ...


class Reporter(Protocol):
    def note(self, message: str) -> None: ...

    def progress(self, label: str, total: int) -> contextlib.AbstractContextManager[Progress]: ...


class _Bar:
    def __init__(self, bar: Any, label: str) -> None:  # click's ProgressBar
        self.bar = bar
        self.label = label

    def table(self, name: str, rows: int) -> None:
        self.bar.label = f"{self.label}: {name}"

    def advance(self, rows: int) -> None:
        self.bar.update(rows)


class _Lines:
    def __init__(self, label: str) -> None:
        self.label = label

    def table(self, name: str, rows: int) -> None:
        click.echo(f"{self.label}: {name} ({rows} row{'s' if rows != 1 else ''})", err=True)

    def advance(self, rows: int) -> None:
        pass


class ConsoleReporter:
    """The command line's reporter."""

    def note(self, message: str) -> None:
        click.echo(message, err=True)

    @contextlib.contextmanager
    def progress(self, label: str, total: int) -> Iterator[Progress]:
        if not sys.stderr.isatty():
            yield _Lines(label)
            return
        with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
            yield _Bar(bar, label)
