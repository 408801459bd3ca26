"""Small-count suppression for tables that are published together: nothing under 5, and nothing that subtraction
gives back.

The rule has two parts.

1. **Small counts** (fewer than `SMALL`, 5, including 0) are shown as "<5": the needs report's own helper,
   `shown`.
2. **No lone hidden number.** In every published row, column and total (a "line": the cells along one axis with
   every other coordinate fixed, and that line's total), either nothing is hidden or at least two numbers are. Where
   a line has exactly one hidden number, the smallest other cell of the line is hidden too (shown as "hidden"), or
   its total when no other cell is left; that can leave another line with one hidden number, so this repeats until
   no line has exactly one.

Counts are held in a `Cube`: one axis per dimension (need, community area, week, ...), each with its total under the
key `ALL`. A record adds itself to every cell it belongs to, totals included, so the totals are computed the same
way as the cells. An axis whose records can fall in several categories (a referral names several needs) gets a total
that counts each record once: it is smaller than the sum of its cells, and is treated as that line's total anyway,
which can only hide more. All views, CSV files and charts of one page read one protected cube, so switching a filter
cannot be used to subtract either.

Limits, written down so no one relies on more: the rule stops a hidden count being worked out from one line; it does
not solve the systems of equations several lines make together, nor does it stop ranges being narrowed ("hidden" is
at least 5, so its "<5" neighbour is at most the difference). Tables of different periods are protected separately.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Counts under this are shown as "<5": few enough to point at a person in a community area.
SMALL = 5


def shown(count: int) -> str:
    return f"<{SMALL}" if count < SMALL else str(count)


ALL = "all"
HIDDEN = "hidden"

Coordinate = tuple[str, ...]


@dataclass(frozen=True)
class Axis:
    name: str
    categories: tuple[str, ...]  # every category, those without a single record too: they are cells of 0

    def __post_init__(self) -> None:
        if ALL in self.categories or len(set(self.categories)) != len(self.categories):
            raise ValueError(f"axis {self.name}: categories must be distinct and not {ALL!r}")


@dataclass
class Cube:
    """Counts over named axes, with totals, protected by `protect()` before anything is read from it.

    `published` lists the views that may be shown, each as the set of axes held at ALL (the empty set: every cell).
    A line is protected when all of its cells are published; cells of no view can be neither read nor subtracted.
    """

    axes: tuple[Axis, ...]
    published: tuple[frozenset[str], ...] = (frozenset(),)
    counts: dict[Coordinate, int] = field(default_factory=dict)
    hidden: set[Coordinate] = field(default_factory=set)
    protected: bool = False

    def __post_init__(self) -> None:
        names = [a.name for a in self.axes]
        unknown = {n for view in self.published for n in view} - set(names)
        if unknown:
            raise ValueError(f"published views name unknown axes: {sorted(unknown)}")
        self._index = {n: i for i, n in enumerate(names)}
        self._order = [{c: i for i, c in enumerate(a.categories)} | {ALL: len(a.categories)} for a in self.axes]
        self._views = [tuple(self._index[n] for n in view) for view in self.published]
        self._axes_by_totals: dict[int, list[int]] = {}

    # -- counting -------------------------------------------------------------------------------------------

    def add(self, *coordinates: str | Iterable[str], weight: int = 1) -> None:
        """A record: per axis its category, or its categories (each counted), in the axes' order."""
        if self.protected:
            raise RuntimeError("the cube is protected: add every record first")
        if len(coordinates) != len(self.axes):
            raise ValueError(f"expected {len(self.axes)} coordinates")
        choices: list[list[str]] = []
        for axis, value in zip(self.axes, coordinates, strict=True):
            values = [value] if isinstance(value, str) else list(dict.fromkeys(value))
            if any(v not in self._order[self._index[axis.name]] or v == ALL for v in values):
                raise ValueError(f"{axis.name}: {values!r} is not a category of this axis")
            choices.append([*values, ALL])
        cells: list[Coordinate] = [()]
        for options in choices:
            cells = [(*cell, option) for cell in cells for option in options]
        for cell in cells:
            self.counts[cell] = self.counts.get(cell, 0) + weight

    # -- protecting ---------------------------------------------------------------------------------------

    def _published_axes(self, cell: Coordinate) -> list[int]:
        """The axes along which the line through `cell` is all published cells (so must be protected): those
        of a view whose other axes are at ALL in `cell`. Bit masks, memoised by which coordinates are ALL."""
        totals = sum(1 << i for i, part in enumerate(cell) if part == ALL)
        axes = self._axes_by_totals.get(totals)
        if axes is None:
            views = [sum(1 << i for i in view) for view in self._views]
            axes = [a for a in range(len(self.axes)) if any(not v >> a & 1 and totals & v == v for v in views)]
            self._axes_by_totals[totals] = axes
        return axes

    def _visible(self, cell: Coordinate) -> bool:
        return self.counts.get(cell, 0) >= SMALL and cell not in self.hidden

    def protect(self) -> Cube:
        """Hide, cell by cell, until no published line has exactly one hidden number. Deterministic."""
        # Every published line with a count (a line with none is all hidden), as (axis, its cells with a count).
        grouped: dict[tuple[int, Coordinate], list[Coordinate]] = defaultdict(list)
        for cell in self.counts:
            for axis in self._published_axes(cell):
                grouped[(axis, cell[:axis] + cell[axis + 1 :])].append(cell)
        lines = [(axis, grouped[(axis, key)]) for axis, key in sorted(grouped, key=self._sort_key)]
        through: dict[Coordinate, list[int]] = defaultdict(list)
        for number, (_, cells) in enumerate(lines):
            for cell in cells:
                through[cell].append(number)
        pending = deque(range(len(lines)))
        waiting = set(pending)
        while pending:
            number = pending.popleft()
            waiting.discard(number)
            axis, cells = lines[number]
            visible = [c for c in cells if self._visible(c)]
            if len(self.axes[axis].categories) + 1 - len(visible) != 1:
                continue
            candidates = [c for c in visible if c[axis] != ALL]
            if candidates:
                pick = min(candidates, key=lambda c: (self.counts[c], self._order[axis][c[axis]]))
            else:  # the one hidden number is the line's only cell: hide the total too
                pick = next(c for c in visible if c[axis] == ALL)
            self.hidden.add(pick)
            # The lines through the cell just hidden may now have exactly one hidden number.
            for other in through[pick]:
                if other not in waiting:
                    waiting.add(other)
                    pending.append(other)
        self.protected = True
        return self

    def _sort_key(self, key: tuple[int, Coordinate]) -> tuple[int, tuple[int, ...]]:
        axis, rest = key
        others = [i for i in range(len(self.axes)) if i != axis]
        return axis, tuple(self._order[i][part] for i, part in zip(others, rest, strict=True))

    # -- reading ------------------------------------------------------------------------------------------

    def _cell(self, coordinates: dict[str, str]) -> Coordinate:
        if not self.protected:
            raise RuntimeError("protect() the cube before reading it")
        if set(coordinates) != set(self._index):
            raise ValueError(f"give every axis: {sorted(self._index)}")
        cell = tuple(coordinates[a.name] for a in self.axes)
        if not any(all(cell[i] == ALL for i in view) for view in self._views):
            raise ValueError(f"{coordinates} is in no published view")
        return cell

    def shown(self, **coordinates: str) -> str:
        """What may be shown: the count, "<5", or "hidden"."""
        cell = self._cell(coordinates)
        count = self.counts.get(cell, 0)
        if count < SMALL:
            return shown(count)
        return HIDDEN if cell in self.hidden else str(count)

    def value(self, **coordinates: str) -> int | None:
        """The count when it may be shown, else None (for bar lengths and colours)."""
        cell = self._cell(coordinates)
        return self.counts.get(cell, 0) if self._visible(cell) else None


def protected_cube(
    axes: Sequence[Axis],
    records: Iterable[Sequence[str | Iterable[str]]],
    published: tuple[frozenset[str], ...] = (frozenset(),),
) -> Cube:
    """A cube of these records, protected: ready to read."""
    cube = Cube(tuple(axes), published)
    for record in records:
        cube.add(*record)
    return cube.protect()
