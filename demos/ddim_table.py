"""Tab "DDIM η tradeoff": DDIM's Table 1 (steps S × stochasticity η) measured on exact data, with two
rows the paper could not have: the optimal Gaussian reverse step (exact per-point full covariance, the
full-covariance generalisation of IDDPM's learned diagonal Σ) and Analytic-DPM's optimal scalar variance."""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from core.claims import note
from core.dataspec import data_bandwidth, load_data
from core.grids import timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import DiscreteVP
from core.samplers.registry import run_sampler
from demos import kit, plotting
from demos.inputs import check_superseded

TAB_ID = "ddim"
STEPS = (10, 20, 50, 100, 1000)
OPTIMAL = "optimal Σ(x)"
ANALYTIC = "Analytic-DPM σ*²"
VARIANTS = {  # row → (registered sampler, its parameters)
    "η = 0.0": ("ddim", {"eta": 0.0}),
    "η = 0.2": ("ddim", {"eta": 0.2}),
    "η = 0.5": ("ddim", {"eta": 0.5}),
    "η = 1.0": ("ddim", {"eta": 1.0}),
    "σ̂": ("ddim", {"sigma_hat": True}),
    OPTIMAL: ("optimal_gaussian", {}),
    ANALYTIC: ("analytic_dpm", {}),
}
PARTICLE_CHOICES = (500, 1000, 2000)
# Song et al. 2021a, Table 1 (FID, lower is better): one table with a CIFAR-10 (32×32) half and a CelebA
# (64×64) half; the rows are η = 0, 0.2, 0.5, 1 and σ̂, the columns S = 10, 20, 50, 100, 1000.
PAPER_CIFAR10 = {
    "η = 0.0": (13.36, 6.84, 4.67, 4.16, 4.04),
    "η = 0.2": (14.04, 7.11, 4.77, 4.25, 4.09),
    "η = 0.5": (16.66, 8.35, 5.25, 4.46, 4.29),
    "η = 1.0": (41.07, 18.36, 8.01, 5.78, 4.73),
    "σ̂": (367.43, 133.37, 32.72, 9.99, 3.17),
}
PAPER_CELEBA = {
    "η = 0.0": (17.33, 13.73, 9.17, 6.53, 3.51),
    "η = 0.2": (17.66, 14.11, 9.51, 6.79, 3.64),
    "η = 0.5": (19.86, 16.06, 11.01, 8.09, 4.28),
    "η = 1.0": (33.12, 26.03, 18.48, 13.93, 5.98),
    "σ̂": (299.71, 183.83, 71.71, 45.20, 3.26),
}

NOTES = (
    r"""
**What to notice.** DDIM (Song et al. 2021a, eq. 12) samples with
$x_{s} = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\,\hat\varepsilon + \sigma z$ and
$\sigma = \eta\sqrt{(1-\bar\alpha_s)/(1-\bar\alpha_t)}\sqrt{1-\bar\alpha_t/\bar\alpha_s}$ (eq. 16): $\eta=0$ is the
deterministic sampler, $\eta=1$ is DDPM with $\tilde\beta$, and $\hat\sigma$ is DDPM with the larger variance $\beta$.
The paper's Table 1 has a CIFAR-10 half and a CelebA half; both are shown beside ours. Read along its rows: with few
steps $\eta=0$ is best by far, and stochasticity hurts less as $S$ grows, but it still hurts at $S=1000$ (CIFAR-10:
4.04 for $\eta=0$, 4.09, 4.29, 4.73 for $\eta = 0.2, 0.5, 1$; CelebA alike). The one exception, which the paper
names, is $\hat\sigma$ at $S=1000$: 3.17 beats $\eta=0$'s 4.04 (CelebA 3.26 vs 3.51), while at $S \le 100$ it is
the worst row.

Here every cell is the **exact** error, MMD² against the true mixture in units of its noise floor (|value| ≲ 2 is as
good as exact sampling), with the same initial noise for every cell. Cells where our ordering differs from the
paper's are findings, not bugs: the shape of the data matters. The bottom-right plot starts $\eta=0$ and $\eta=1$
from the **same** noise, with the cell's $S$: one path is a smooth curve, the other a random walk that lands
elsewhere.

**Two rows the paper could not measure.** With the exact model the best *Gaussian* reverse step is known point by
point: its mean is $\mathbb E[x_s\mid x_t]$ and its covariance
$\mathrm{Cov}[x_s\mid x_t] = \tilde\beta I + c_0^2\,\mathrm{Cov}[x_0\mid x_t]$ with Tweedie's second-order formula
$\mathrm{Cov}[x_0\mid x_t] = (\sigma_t^2/\alpha_t^2)(I + \sigma_t^2\nabla^2\log p_t)$: row *optimal Σ(x)*, the
full-covariance generalisation of IDDPM's learned diagonal $\Sigma_\theta$ (Nichol & Dhariwal 2021, Sec. 3.1:
between $\tilde\beta$ and $\beta$; the exact one lies above $\beta$ at most points and is not diagonal).
Analytic-DPM (Bao et al. 2022) keeps
one variance per step, $\sigma^{*2} = \tilde\beta + c_0^2\,\mathbb E_{p_t}\mathrm{tr}\,\mathrm{Cov}[x_0\mid x_t]/2$:
that expectation has no closed form for a mixture, so it is computed by quadrature (accurate to ~1e-3), not
exactly. Both sample every step from their Gaussian, the last one included. Where a jump of $1000/S$ timesteps
lands between well-separated modes, the true kernel $q(x_s\mid x_t)$ has several lobes and no Gaussian, however
well its covariance is chosen, can follow it: at $S = 10$ on sharp modes the optimal step does not help.
"""
    + "\n\n"
    + note("iddpm_optimal_step")
    + "\n\n"
    + note("iddpm_optimal_few_steps")
)

SCENES = {
    "Few steps: η = 0 wins (S = 10)": dict(preset="ring8", cell_steps=10, cell_variant="η = 0.0"),
    "DDPM's β̃ at S = 20 (η = 1)": dict(preset="ring8", cell_steps=20, cell_variant="η = 1.0"),
    "The optimal Gaussian step at S = 20": dict(preset="ring8", cell_steps=20, cell_variant=OPTIMAL),
    "S = 10 on sharp modes: no Gaussian step is enough": dict(preset="grid25", cell_steps=10, cell_variant=OPTIMAL),
    "Overlapping modes: the optimal step wins at S = 10": dict(
        preset="ring8_soft", cell_steps=10, cell_variant=OPTIMAL
    ),
    "σ̂ at S = 1000": dict(preset="ring8", cell_steps=1000, cell_variant="σ̂"),
}

# particles and the cell's S are numbers offered as radio buttons (their values are checked in `_check`)
CONTROLS = [
    kit.Control("preset", "data", "ring8", label="Data"),
    kit.Control(
        "particles",
        "int",
        1000,
        label="Particles per cell",
        choices=PARTICLE_CHOICES,
        noun="Particles",
    ),
    kit.Control("seed", "seed", 0, label="Seed"),
    kit.Control("cell_steps", "int", 10, label="Cell: steps S", choices=STEPS, noun="Cell steps"),
    kit.Control(
        "cell_variant",
        "choice",
        "η = 0.0",
        label="Cell: variance",
        choices=tuple(VARIANTS),
        widget="radio",
        noun="variant",
    ),
]


def _check(values: dict) -> dict:
    """The table is cached per particle count, and has only its own columns S."""
    if values["particles"] not in PARTICLE_CHOICES:
        raise ValueError(f"Particles must be one of {PARTICLE_CHOICES} for the table (it is cached per size).")
    if values["cell_steps"] not in STEPS:
        raise ValueError(f"Cell steps must be one of {STEPS}.")
    return values


_TABLES: OrderedDict = OrderedDict()
_MAX_TABLES = 8
# relative cost of one step of each row (the optimal rows evaluate the Hessian, Analytic-DPM a quadrature):
# only for the progress bar's fraction
_COST = {"ddim": 1.0, "optimal_gaussian": 2.5, "analytic_dpm": 2.5}


def table(preset: str, particles: int, seed_value: int, progress=None) -> dict:
    """All S × variant cells: MMD² in floor units and the samples. Cached (seconds to compute, most of
    it the 1000-step runs); `progress(fraction, desc=...)` is told how far it is."""
    key = (preset, particles, seed_value)
    if key in _TABLES:
        _TABLES.move_to_end(key)
        return _TABLES[key]
    mixture = load_data(preset)
    model = ExactDenoiser(mixture)
    floor = data_noise_floor(preset, "mmd2", particles)
    h = data_bandwidth(preset)
    units = np.zeros((len(VARIANTS), len(STEPS)))
    samples = {}
    total = sum(STEPS) * sum(_COST[k] for k, _ in VARIANTS.values())
    done = 0.0
    for j, steps in enumerate(STEPS):
        grid = timestep_grid(DiscreteVP(), steps, "leading")
        for i, (name, (sampler, params)) in enumerate(VARIANTS.items()):
            check_superseded()
            res = run_sampler(sampler, model, grid, particles, seed_value, params, n_paths=0)
            units[i, j] = floor.in_units(mmd2(res.samples, mixture, h))
            samples[(steps, name)] = res.samples
            done += steps * _COST[sampler]
            if progress is not None:
                progress(done / total, desc=f"S = {steps}, {name}")
        _paths(preset, steps, seed_value)  # the "same noise" paths of this S: cell radios then only redraw
    _TABLES[key] = dict(units=units, samples=samples, floor=floor)
    if len(_TABLES) > _MAX_TABLES:
        _TABLES.popitem(last=False)
    return _TABLES[key]


def table_figure(units: np.ndarray, particles: int) -> go.Figure:
    """Heatmap laid out like DDIM's Table 1 (rows: variance choice, columns: steps S)."""
    text = [[f"{v:.1f}" for v in row] for row in units]
    z = np.log10(np.maximum(np.abs(units), 1.0)) * np.sign(units)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"S = {s}" for s in STEPS],
            y=list(VARIANTS),
            text=text,
            texttemplate="%{text}",
            textfont=dict(size=16),
            colorscale="Reds",
            zmin=0,
            zmax=max(2.5, float(z.max())),
            showscale=False,
            hoverinfo="skip",
        )
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    # the columns read as numbers under an axis title: five tilted "S = 1000" overlapped on a phone
    columns = [f"S = {s}" for s in STEPS]
    fig.update_xaxes(
        automargin=True, tickangle=0, tickvals=columns, ticktext=[str(s) for s in STEPS], title_text="steps S"
    )
    # short parts joined by " · " so the title wraps on a phone instead of being cut
    title = f"Exact error · MMD² in floor units · N = {particles} · |·| ≲ 2 ≈ exact"
    fig = plotting.base_layout(fig, title, height=420, square=False)
    fig.update_layout(margin=dict(l=10))  # the row names make their own room (automargin)
    # the optimal rows under a line: they are not part of the paper's table
    fig.add_hline(y=len(VARIANTS) - 2.5, line=dict(color="#111827", width=2))
    return fig


def table_rows(units: np.ndarray) -> list[list]:
    return [[name, *[round(float(v), 1) for v in row]] for name, row in zip(VARIANTS, units)]


def _samples_name(variant: str, steps: int) -> str:
    kind = "DDIM samples" if VARIANTS[variant][0] == "ddim" else "samples"
    return f"{kind} ({variant}, S = {steps})"


def cell_figure(preset: str, samples: np.ndarray, steps: int, variant: str, value: float) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    fig.add_trace(plotting.points_trace(samples, _samples_name(variant, steps), size=3.5))
    return plotting.set_box(
        plotting.base_layout(fig, f"{variant}, S = {steps}: {value:+.1f} floor units", height=460), box
    )


N_PATHS = 12


@lru_cache(maxsize=64)
def _paths(preset: str, steps: int, seed_value: int, n: int = N_PATHS):
    """(shared start, η = 0 paths, η = 1 paths) on the S-step grid (a table miss fills these for every S)."""
    mixture = load_data(preset)
    grid = timestep_grid(DiscreteVP(), steps, "leading")
    x_init = grid.sigma[0] * np.random.default_rng(seed_value).standard_normal((n, 2))
    runs = [
        run_sampler("ddim", ExactDenoiser(mixture), grid, n, seed_value + 1, {"eta": eta}, n_paths=n, x_init=x_init)
        for eta in (0.0, 1.0)
    ]
    return x_init, runs[0].path, runs[1].path


def paths_figure(preset: str, steps: int, seed_value: int, n: int = N_PATHS) -> go.Figure:
    """η = 0 and η = 1 from the same initial noise, on the cell's grid: a smooth ODE path vs a random walk."""
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    x_init, *paths = _paths(preset, steps, seed_value, n)
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    for eta, path, color in zip((0.0, 1.0), paths, ("rgba(37, 99, 235, 0.85)", "rgba(220, 38, 38, 0.75)")):
        fig.add_trace(plotting.paths_trace(path, name=f"η = {eta:g}", color=color, width=2))
    fig.add_trace(plotting.points_trace(x_init, "shared starting noise", color="#111827", size=7))
    return plotting.set_box(
        plotting.base_layout(fig, f"Same noise, S = {steps}: η = 0 (blue) vs η = 1 (red)", height=460), box
    )


def ddim_view(preset, particles, seed, cell_steps, cell_variant, progress=None):
    """(table heatmap, table rows, selected cell's samples, η=0 vs η=1 paths with the cell's S)."""
    given = dict(preset=preset, particles=particles, seed=seed, cell_steps=cell_steps, cell_variant=cell_variant)
    v = SPEC.validate(given)
    result = table(v["preset"], v["particles"], v["seed"], progress)
    units = result["units"]
    steps, variant = v["cell_steps"], v["cell_variant"]
    i, j = list(VARIANTS).index(variant), STEPS.index(steps)
    return (
        table_figure(units, v["particles"]),
        table_rows(units),
        cell_figure(v["preset"], result["samples"][(steps, variant)], steps, variant, units[i, j]),
        paths_figure(v["preset"], steps, v["seed"]),
    )


SPEC = kit.Tab(
    id=TAB_ID,
    title="DDIM η tradeoff",
    controls=CONTROLS,
    views=[kit.View(ddim_view, ("heat", "rows", "cell", "paths"), api_name="ddim_table")],
    scenes=SCENES,
    check=_check,
)


def warm_up() -> None:
    """Compute the default table at start-up (it takes seconds; the first visitor should not wait)."""
    ddim_view(**SPEC.defaults())


def _radio(ui: kit.UI, name: str):
    """A number offered as radio buttons (the kit makes a number a slider)."""
    import gradio as gr

    c = SPEC.control(name)
    ui.controls[name] = gr.Radio(list(c.choices), value=c.default, label=c.label)


def layout(ui: kit.UI) -> None:
    import gradio as gr

    headers = ["variance", *[f"S={s}" for s in STEPS]]
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            ui.scene_picker()
            ui.control("preset")
            _radio(ui, "particles")
            ui.control("seed")
            _radio(ui, "cell_steps")
            ui.control("cell_variant")
            ui.link_row()
        with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
            ui.plot("heat")
            ui.output("rows", gr.Dataframe(headers=headers, label="Our Table 1 (MMD² in noise-floor units)",
                                           interactive=False))  # fmt: skip
            gr.Dataframe(
                [[k, *v] for k, v in PAPER_CIFAR10.items()],
                headers=headers,
                label="The paper's Table 1, CIFAR-10 half (FID), for comparison",
                interactive=False,
            )
            with gr.Accordion("The paper's Table 1, CelebA half (FID)", open=False):
                gr.Dataframe(
                    [[k, *v] for k, v in PAPER_CELEBA.items()], headers=headers, show_label=False, interactive=False
                )
            with gr.Row():
                ui.plot("cell", min_width=300)
                ui.plot("paths", min_width=300)
    gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])


def build() -> kit.UI:
    """The tab from its spec: it has no events of its own."""
    return kit.build(SPEC, layout)
