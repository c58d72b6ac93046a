"""Checking what users send, and turning failures into clear messages.

Figure functions raise `ValueError` with a sentence a user can act on. `user_facing` wraps an event
handler so that such errors reach the page as `gr.Error`, and anything unexpected is logged
server-side and shown as a short generic message: no traceback or path ever reaches the browser.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import math
import reprlib
import threading
import traceback
from itertools import count
from pathlib import Path

import gradio as gr

from core.mixture import MixtureError

log = logging.getLogger("reading_room")

MAX_PARTICLES = 4000
MAX_STEPS = 1000
MAX_WORK = 2_500_000  # particles × model evaluations per request: about 2-3 s of CPU at most
MAX_SEED = 2**31 - 1


def choice(value, options, label: str):
    """value must be one of options (a dict's keys or a sequence)."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"Unknown {label} {reprlib.repr(value)}. Choose one of: {', '.join(options)}.")
    return value


def _shown(x: float) -> str:
    """A bound or value as a person reads it: whole numbers in full ("2,147,483,647", not "2.14748e+09"; grouped
    from a million on, "4000" as before)."""
    if x != round(x) or abs(x) >= 1e15:
        return f"{x:g}"
    return f"{int(x):,}" if abs(x) >= 1e6 else f"{int(x)}"


def number(value, lo: float, hi: float, label: str, integer: bool = False):
    """A finite number in [lo, hi] (whole if `integer`)."""
    if isinstance(value, bool):
        raise ValueError(f"{label} must be a number, got {reprlib.repr(value)}.")
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"{label} must be a number, got {reprlib.repr(value)}.") from None
    if not math.isfinite(x):
        raise ValueError(f"{label} must be a finite number.")
    if x < lo or x > hi:
        raise ValueError(f"{label} must lie between {_shown(lo)} and {_shown(hi)}; got {_shown(x)}.")
    if integer:
        if x != round(x):
            raise ValueError(f"{label} must be a whole number; got {x:g}.")
        return int(round(x))
    return x


def seed(value) -> int:
    return number(value, 0, MAX_SEED, "Seed", integer=True)


PROJECT = Path(__file__).resolve().parents[1]
MAX_MESSAGE = 300


def _ours(err: BaseException) -> bool:
    """Was this error raised by the project's own checks (not by numpy, scipy or diffusers)?"""
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and Path(frames[-1].filename).resolve().is_relative_to(PROJECT)


def user_facing(fn):
    """Wrap an event handler: a ValueError raised by our own checks → gr.Error with its message (logged
    as a refusal); anything else, library ValueErrors included → logged with its traceback + generic."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, MixtureError) as err:
            if not _ours(err):
                log.exception("unexpected library error in %s", fn.__name__)
                raise gr.Error(
                    "These settings are not supported by this sampler; try more steps or other settings.",
                    print_exception=False,
                ) from None
            message = str(err)[:MAX_MESSAGE]
            log.info("refused %s: %s", fn.__name__, message)
            raise gr.Error(message, print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(
                "Something went wrong while computing this view; it has been logged. Try other settings.",
                print_exception=False,
            ) from None

    return wrapper


class Superseded(Exception):
    """A newer request from the same user made this one's work pointless."""


_job = contextvars.ContextVar("job", default=None)
_latest: dict[tuple, int] = {}
_latest_lock = threading.Lock()
_tickets = count()


def check_superseded() -> None:
    """Long loops call this between steps: it raises Superseded once the same user asked for something newer."""
    job = _job.get()
    if job is not None and _latest.get(job[0]) != job[1]:
        raise Superseded


def latest_only(fn, n_outputs: int, names: list[str]):
    """Let the next request of the same user (same session, same handler) cancel this one's work.

    The wrapper takes the tab's controls by `names` (they become the API's argument names), keeps a
    `gr.Progress` argument of `fn` if it has one, and gains a trailing `request: gr.Request` that Gradio
    fills (not part of the API). Superseded work stops at its next `check_superseded()` and leaves the
    outputs untouched.
    """
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    extras = [
        p.replace(kind=kind) for p in inspect.signature(fn).parameters.values() if isinstance(p.default, gr.Progress)
    ]
    n = len(names)

    def wrapper(*args):
        request = args[-1] if args and isinstance(args[-1], gr.Request) else None
        args = args[:-1] if request is not None else args
        kwargs = {p.name: v for p, v in zip(extras, args[n:])}
        key = (getattr(request, "session_hash", None), fn.__name__)
        ticket = next(_tickets)
        with _latest_lock:
            _latest[key] = ticket
        token = _job.set((key, ticket) if key[0] is not None else None)
        try:
            return fn(*args[:n], **kwargs)
        except Superseded:
            return tuple(gr.skip() for _ in range(n_outputs)) if n_outputs > 1 else gr.skip()
        finally:
            _job.reset(token)
            with _latest_lock:
                if _latest.get(key) == ticket:
                    del _latest[key]

    own = inspect.signature(fn).parameters  # a handler with a default for every input keeps them for the API
    empty = inspect.Parameter.empty
    if all(name in own and own[name].default is not empty for name in names):
        params = [own[name].replace(kind=kind) for name in names]
    else:
        params = [inspect.Parameter(name, kind) for name in names]
    request_param = inspect.Parameter("request", kind, default=None, annotation=gr.Request)
    wrapper.__signature__ = inspect.Signature([*params, *extras, request_param])
    wrapper.__annotations__ = {"request": gr.Request}  # Gradio reads type hints from here to pass the request
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper
