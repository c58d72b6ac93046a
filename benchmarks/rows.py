"""Benchmark rows declared as data, turned into `benchmarks.app.Case`s by one function (`cases`).

A row is a name, a budget and what it times: a function of a tab's controls, called with them by name (the tab's
defaults with the row's `values` over them; a function that takes `*args` gets every control's value in the tab's
order), or `LOAD`, what a link or a scene draws (`kit.draw` of the values as the page load checks them). Its
outputs take their place among the tab's output components in the order `benchmarks.app` serialises them, the
others None (not sent): a view's outputs go where that view's go, a function that is not a view names the view
whose place it fills (`into`) or the outputs it returns (`into=("curves",)`); a function that is neither fills
them all. `reset` runs before every timed run (the cache-miss rows); `repeats` fixes the number of runs (None:
the command line's --repeats).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

LOAD = "load"  # a row's `fn`: the page load of a link or a scene (every view it draws)


@dataclass(frozen=True)
class Row:
    name: str
    budget: float  # seconds
    fn: Callable | tuple[Callable, ...] | str  # a function of the controls by name, views computed together, LOAD
    values: dict = field(default_factory=dict)  # control values over the tab's defaults
    reset: Callable[[], object] | None = None
    repeats: int | None = None
    into: Callable | tuple[str, ...] | None = None  # where `fn`'s outputs go (None: its own view's place, or all)


def values(tab, **kw) -> dict:
    """The tab's default control values with `kw` over them."""
    return {**tab.SPEC.defaults(), **kw}


def clear(*caches) -> Callable[[], None]:
    """A row's reset that empties these caches in order: a functools cache (`cache_clear`), a dict or list
    (`clear`), or a module's own emptying function (e.g. `core.metrics.clear_floors`)."""

    def reset():
        for cache in caches:
            if hasattr(cache, "cache_clear"):
                cache.cache_clear()
            elif hasattr(cache, "clear"):
                cache.clear()
            else:
                cache()

    return reset


def cases(tab, rows: list[Row]) -> list:
    """The rows of one tab (a demos module with a kit `SPEC` and a `TAB_ID`) as `benchmarks.app.Case`s."""
    from benchmarks.app import Case

    return [Case(r.name, tab.TAB_ID, run(tab, r), reset=r.reset, budget=r.budget, repeats=r.repeats) for r in rows]


def run(tab, row: Row) -> Callable[[], tuple]:
    """What a row times: its function called with the row's values, its outputs in their place among the tab's."""
    spec = tab.SPEC
    given = values(tab, **row.values)
    if row.fn == LOAD:
        from demos import kit

        return lambda: tuple(kit.draw(spec, spec.validate(kit.drop_invalid(spec, given))).values())
    fns = row.fn if isinstance(row.fn, tuple) else (row.fn,)
    calls = [_bound(fn, given, spec.names) for fn in fns]
    places = [_place(spec, row.into if row.into is not None else fn) for fn in fns]
    if places == [None]:  # it returns the tab's outputs itself
        return calls[0]
    size = sum(len(view.outputs) for view in spec.views)

    def placed():
        out = [None] * size
        for call, place in zip(calls, places):
            out[place] = call()  # a view's outputs into its slice; one named output into its index
        return tuple(out)

    return placed


def _bound(fn: Callable, given: dict, names: list[str]) -> Callable[[], object]:
    """`fn` with the control values it reads, by name (or every value in order when it takes `*args`)."""
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_POSITIONAL for p in params.values()):
        args = [given[n] for n in names]
        return lambda: fn(*args)
    kwargs = {n: given[n] for n in params if n in given}
    return lambda: fn(**kwargs)


def _place(spec, into) -> slice | int | None:
    """The positions among the tab's outputs of a view's outputs (`into` a view's function) or of one named output;
    None: the function is not a view, so it returns the tab's outputs itself."""
    start = 0
    for view in spec.views:
        if view.fn is into:  # a view of one output returns it alone (as the kit calls it)
            return slice(start, start + len(view.outputs)) if len(view.outputs) > 1 else start
        start += len(view.outputs)
    if isinstance(into, tuple):
        (name,) = into
        return [n for view in spec.views for n in view.outputs].index(name)
    return None
