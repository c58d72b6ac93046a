"""Self-describing sampler entries: parameters with type, range, default and help, so one spec
builds the UI controls, validates API input and drives property-based tests."""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.samplers.base import SamplerFn


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    integer: bool = False
    help: str = ""

    def validate(self, value):
        """Coerce and range-check a user value; raise ValueError with a readable message otherwise."""
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError(f"{self.label} must be one of {list(self.choices)}, got {reprlib.repr(value)}")
            return value
        if isinstance(self.default, bool):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{self.label} must be true or false, got {reprlib.repr(value)}")
            return bool(value)
        if isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{self.label} must be a number, got {reprlib.repr(value)}")
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{self.label} must be a number, got {reprlib.repr(value)}") from None
        if not math.isfinite(number) and not (number == math.inf and self.hi == math.inf):
            raise ValueError(f"{self.label} must be a finite number, got {reprlib.repr(value)}")
        if (self.lo is not None and number < self.lo) or (self.hi is not None and number > self.hi):
            raise ValueError(f"{self.label} must lie in [{self.lo:g}, {self.hi:g}], got {number:g}")
        if self.integer:
            if number != int(number):
                raise ValueError(f"{self.label} must be a whole number, got {reprlib.repr(value)}")
            return int(number)
        return number


@dataclass(frozen=True)
class SamplerSpec:
    key: str
    title: str
    paper: str
    fn: SamplerFn
    params: tuple[Param, ...] = ()
    fixed: dict = field(default_factory=dict)
    default_process: str = "ddpm"
    default_grid: str = "leading"
    default_steps: int = 50
    stochastic: bool = False  # some parameter setting draws noise after x_T (DDIM η > 0, EDM churn)
    diffusers: bool = False  # a row driven by the real diffusers scheduler (uses its own timesteps)

    def validate(self, params: dict | None) -> dict:
        params = dict(params or {})
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            raise ValueError(
                f"{self.title} has no parameter(s) {sorted(unknown)}; it takes "
                f"{[p.name for p in self.params] or 'none'}"
            )
        return {p.name: p.validate(params.get(p.name, p.default)) for p in self.params}
