"""The data control every tab shares: a dropdown of presets that also takes a user mixture (`gmm:…`),
and the check that turns what a user or a URL sends into the canonical data spec (core/dataspec.py). The check is
where every tab first accepts a user's mixture, so it starts computing the mixture's noise floors in the background
(core.metrics.prefetch_floors): by the time a tab scores samples against them they are ready or under way."""

from __future__ import annotations

from core.datasets import PRESETS
from core.dataspec import DataSpecError, canonical, data_title, is_preset
from core.metrics import prefetch_floors

CUSTOM_HELP = "a preset, or your own mixture from the “Your data” tab (gmm:…)"


def data_spec(value, allowed=None) -> str:
    """The canonical spec of `value` (a preset key or gmm: text); `allowed` restricts the presets (a
    user mixture is always accepted there, if it passes `allowed`'s own test by the caller)."""
    if not isinstance(value, str):
        raise ValueError("Data must be a preset name or a gmm:… mixture.")
    try:
        spec = canonical(value)
    except DataSpecError as err:
        raise ValueError(str(err)) from None
    if allowed is not None and is_preset(spec) and spec not in allowed:
        raise ValueError(f"Data {spec!r} cannot be used here. Choose one of: {', '.join(allowed)}.")
    if not is_preset(spec):
        prefetch_floors(spec)
    return spec


def data_choices(value: str | None = None, presets=None) -> list[tuple[str, str]]:
    """(label, spec) pairs for the dropdown: the presets, plus the current user mixture if there is one."""
    keys = list(PRESETS) if presets is None else list(presets)
    choices = [(PRESETS[k].title, k) for k in keys]
    if value is not None and not is_preset(value):
        choices.append((data_title(value), value))
    return choices


def data_dropdown(gr, value: str = "ring8", presets=None, label: str = "Data"):
    """The tab's data control: presets by name; a user mixture arrives as a custom value."""
    return gr.Dropdown(
        data_choices(value, presets), value=value, label=label, info=CUSTOM_HELP, allow_custom_value=True
    )


def data_update(gr, spec: str, presets=None):
    """A dropdown update selecting `spec` (adds a user mixture to the choices so it shows its title)."""
    return gr.Dropdown(choices=data_choices(spec, presets), value=spec)
