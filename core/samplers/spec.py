"""Self-describing sampler entries: parameters with type, range, default and help, so one spec
builds the UI controls, validates API input and drives property-based tests; and the sampler's facts
(kind, order, evaluations per run, how it spends a budget of evaluations), so the race, the benchmark
table and the tests read them here instead of restating them."""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable
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


NfeFn = Callable[[int, dict], int | None]
"""Model evaluations of a run of n grid steps with the given (validated, fixed included) parameters;
None where the sampler refuses that many steps."""

KINDS = ("ODE", "SDE", "Langevin")
GRID_ROLES = ("steps", "levels", "floor")


def per_step(k: int = 1, offset: int = 0) -> NfeFn:
    """NFE = k·n + offset for n steps (Heun-type solvers: 2n - 1, the last step into σ = 0 being Euler)."""

    def nfe(n: int, params: dict) -> int:
        return k * int(n) + offset

    return nfe


def _most(count: Callable[[int], int | None], budget: int) -> int | None:
    """The largest k ≥ 1 with count(k) ≤ budget, for counts that grow with k where they are not refused (None):
    refused for a few small k (diffusers' PNDM: fewer than 4 steps), for large ones, or between (a distilled
    student exists for N = 1, 2, 4, 8, 16, 32 only); None if no k fits."""
    first = next(((k, c) for k in range(1, min(budget, 10) + 1) if (c := count(k)) is not None), None)
    if first is None or first[1] > budget:
        return None
    lo = first[0]
    hi = budget  # every k spends at least one evaluation
    while lo < hi:  # invariant: lo fits, no k > hi does
        mid = (lo + hi + 1) // 2
        k = next((j for j in range(mid, hi + 1) if count(j) is not None), None)  # the first accepted k ≥ mid
        if k is not None and count(k) <= budget:
            lo = k
        else:
            hi = mid - 1
    return lo


@dataclass(frozen=True)
class SamplerSpec:
    """One registry entry. Besides the call (`fn`, `params`, `fixed`) and the setting it is usually shown
    with, the sampler's facts:

    * `kind`: "ODE" (deterministic once x_T is drawn, at the default parameters), "SDE" (fresh noise at every
      step) or "Langevin" (steps at fixed noise levels, records per Langevin step, not per grid node);
    * `order`: the global order p of a deterministic method (error ∝ h^p); None for stochastic and adaptive ones;
    * `nfe(n, params)`: model evaluations for n grid steps (None: adaptive, known only after the run);
    * `budget_param`: the integer parameter that takes an NFE budget at `default_steps` grid steps (Langevin:
      steps per level or steps); otherwise a budget buys the most grid steps whose NFE fits;
    * `noise_free`: for a stochastic entry, the parameter values under which it draws no noise after x_T
      (DDIM η = 0, EDM without churn); `order` applies only then;
    * `grid_role`: what the sampler takes from the time grid: "steps" (one step per node), "levels" (Langevin
      steps at each positive noise level, NCSN Algorithm 1) or "floor" (only the smallest positive level);
    * `oracle`: the sampler uses the exact mixture beyond x̂₀ (its Hessian, its mean score norm), which no
      trained model gives, so comparisons at equal NFE (the race) leave it out;
    * `own_schedule`: for a sampler that runs its own schedule and takes only the number of steps from the time
      grid (a distilled student), what it runs instead, for titles and for the controls it leaves unused;
    * `note`: one sentence a table or tab can show beside the title."""

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
    kind: str = "ODE"
    order: int | None = None
    nfe: NfeFn | None = per_step()
    budget_param: str | None = None
    noise_free: Callable[[dict], bool] | None = None
    grid_role: str = "steps"
    oracle: bool = False
    own_schedule: str = ""
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.grid_role not in GRID_ROLES:
            raise ValueError(f"{self.key}: grid_role must be one of {GRID_ROLES}, got {self.grid_role!r}")

    def describe(self, n_steps: int, params: dict | None = None) -> str | None:
        """What a run really does where the grid's steps do not say it (Langevin); None for samplers that
        take one step per grid node."""
        if self.grid_role == "steps":
            return None
        p = self.validate(params)
        if self.grid_role == "levels":
            return f"{int(n_steps)} noise levels × {p[self.budget_param]} Langevin steps"
        return f"{p[self.budget_param]} Langevin steps of ε = {p['step_size']:g} on the data score"

    def deterministic(self, params: dict | None = None) -> bool:
        """Whether a run with these parameters draws no noise after x_T (the same start gives the same path)."""
        if not self.stochastic:
            return True
        return self.noise_free is not None and bool(self.noise_free(self.validate(params)))

    def order_with(self, params: dict | None = None) -> int | None:
        """The method's order with these parameters: `order` if the run is deterministic, else None."""
        return self.order if self.deterministic(params) else None

    def count(self, n_steps: int, params: dict | None = None) -> int | None:
        """Model evaluations of a run of n_steps grid steps (None: adaptive, or refused at that many steps)."""
        if self.nfe is None:
            return None
        return self.nfe(int(n_steps), {**self.fixed, **self.validate(params)})

    def fit_budget(self, budget: int, params: dict | None = None) -> tuple[int, dict] | None:
        """(grid steps, parameters) that spend the most of `budget` model evaluations, None if even the
        smallest run does not fit. With a `budget_param` the grid keeps `default_steps` and that parameter
        grows; otherwise the number of grid steps does."""
        if self.nfe is None:
            raise ValueError(f"{self.title} is adaptive: its NFE is set by its tolerance, not by a budget")
        params = self.validate(params)
        budget = int(budget)
        if self.budget_param is None:
            steps = _most(lambda n: self.count(n, params), budget)
            return None if steps is None else (steps, params)

        def count(v):
            try:
                return self.count(self.default_steps, {**params, self.budget_param: v})
            except ValueError:  # beyond the parameter's range
                return None

        value = _most(count, budget)
        return None if value is None else (self.default_steps, {**params, self.budget_param: value})

    def validate(self, params: dict | None) -> dict:
        params = dict(params or {})
        unknown = set(params) - {p.name for p in self.params}
        if unknown:
            raise ValueError(
                f"{self.title} has no parameter(s) {sorted(unknown)}; it takes "
                f"{[p.name for p in self.params] or 'none'}"
            )
        return {p.name: p.validate(params.get(p.name, p.default)) for p in self.params}
