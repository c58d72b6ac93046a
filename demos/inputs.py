"""Checking what users send, and turning failures into clear messages.

Figure functions raise `ValueError` with a sentence a user can act on. `user_facing` wraps an event
handler so that such errors reach the page as `gr.Error`, and anything unexpected is logged
server-side and shown as a short generic message: no traceback or path ever reaches the browser.
"""

from __future__ import annotations

import functools
import logging
import math

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
        shown = ", ".join(list(options)[:12])
        raise ValueError(f"Unknown {label} {value!r}. Choose one of: {shown}.")
    return value


def number(value, lo: float, hi: float, label: str, integer: bool = False):
    """A finite number in [lo, hi] (whole if `integer`)."""
    if isinstance(value, bool):
        raise ValueError(f"{label} must be a number, got {value!r}.")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{label} must be a number, got {value!r}.") from None
    if not math.isfinite(x):
        raise ValueError(f"{label} must be a finite number.")
    if x < lo or x > hi:
        raise ValueError(f"{label} must lie between {lo:g} and {hi:g}; got {x:g}.")
    if integer:
        if x != round(x):
            raise ValueError(f"{label} must be a whole number; got {x:g}.")
        return int(round(x))
    return x


def seed(value) -> int:
    return number(value, 0, MAX_SEED, "Seed", integer=True)


def check_work(particles: int, evaluations: int) -> None:
    """Refuse requests that would stall a shared Space (the cap is stated in the message)."""
    if particles * evaluations > MAX_WORK:
        raise ValueError(
            f"That is {particles:,} particles × {evaluations:,} model evaluations, more than this "
            f"shared app allows per request ({MAX_WORK:,}). Use fewer particles or steps."
        )


def user_facing(fn):
    """Wrap an event handler: ValueError → gr.Error with its message; anything else → logged + generic."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except (ValueError, MixtureError) as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception:
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(
                "Something went wrong while computing this view; it has been logged. Try other settings.",
                print_exception=False,
            ) from None

    return wrapper
