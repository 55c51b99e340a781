"""What a panel's view hands to the page: a tuple of plain blocks that ``app.py`` draws in order.

A view (pure, no Streamlit) says *what* to show; the page only knows how to draw each kind of
block. Tests read the same blocks, so what is tested is what is drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import pandas as pd


@dataclass(frozen=True)
class Metric:
    """One figure on the page: label, value text and the help shown on hover."""

    label: str
    value: str
    help: str


@dataclass(frozen=True)
class Metrics:
    """A row of metrics (one column each)."""

    items: tuple[Metric, ...]


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite chart with its text alternative and the data behind it.

    ``name`` names the downloads (``<name>.csv``); ``data`` is the data behind the chart, or a
    function that makes it (run once, when the data is first asked for: a download);
    ``caption`` shows the text alternative under the chart too."""

    name: str
    spec: dict[str, Any]
    alt: str
    data: pd.DataFrame | Callable[[], pd.DataFrame]
    caption: bool = True

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The data behind the chart (the CSV download)."""
        return self.data if isinstance(self.data, pd.DataFrame) else self.data()

    @property
    def stretch(self) -> bool:
        """Whether the chart fits its column's width (else it keeps its own width: a square
        plot, whose axes share their units)."""
        return "width" not in self.spec


@dataclass(frozen=True)
class Table:
    """A small table of text cells (every cell already formatted)."""

    frame: pd.DataFrame
    title: str = ""


TextKind = Literal["markdown", "caption", "info", "correction", "warning"]


@dataclass(frozen=True)
class Text:
    """A sentence block; a ``correction`` is a short, polite note where the source is wrong."""

    text: str
    kind: TextKind = "markdown"


@dataclass(frozen=True)
class Columns:
    """Blocks side by side: one tuple of blocks per column, with relative widths; or, with
    ``flow``, columns of that many pixels that wrap onto new rows where the page is narrow."""

    columns: tuple[tuple[Block, ...], ...]
    widths: tuple[float, ...] = ()
    flow: int | None = None


@dataclass(frozen=True)
class Fold:
    """The second layer of the words: detail behind a closed "more" fold (its ``label``), under
    the plain sentence that a second-year student reads first."""

    label: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class PickOption:
    """One button of a ``Pick``: its label (markdown), and the value a click sets the control
    to, or None and ``refusal``, the sentence a click shows instead."""

    label: str
    value: Any
    refusal: str = ""


@dataclass(frozen=True)
class Pick:
    """A row of buttons (wrapping where narrow) each of which sets control ``control`` to its
    option's value when clicked, or shows why it cannot; ``key`` names the widget."""

    key: str
    label: str
    control: str
    options: tuple[PickOption, ...]
    help: str = ""


Block = Metrics | Chart | Table | Text | Columns | Fold | Pick


@dataclass(frozen=True)
class PanelView:
    """Everything one panel shows, in order; ``facts`` holds the figures the sentences were made
    from (for tests that check the words against the core's numbers)."""

    blocks: tuple[Block, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    heading: str = ""
    """The panel's heading when it depends on the settings (else the panel's title)."""

    def walk(self) -> Iterator[Block]:
        """Every block, depth first, in page order."""
        yield from _walk(self.blocks)

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return tuple(m for b in self.walk() if isinstance(b, Metrics) for m in b.items)

    @property
    def charts(self) -> tuple[Chart, ...]:
        return tuple(b for b in self.walk() if isinstance(b, Chart))

    @property
    def texts(self) -> tuple[Text, ...]:
        return tuple(b for b in self.walk() if isinstance(b, Text))

    def chart(self, name: str) -> Chart:
        """The chart called ``name``."""
        for chart in self.charts:
            if chart.name == name:
                return chart
        raise KeyError(name)


def _walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    for block in blocks:
        yield block
        if isinstance(block, Columns):
            for column in block.columns:
                yield from _walk(column)
        elif isinstance(block, Fold):
            yield from _walk(block.blocks)
