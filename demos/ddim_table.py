"""Tab "DDIM η tradeoff": DDIM's Table 1 (steps S × stochasticity η) measured on exact data."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import plotly.graph_objects as go

from core.dataspec import data_bandwidth, load_data
from core.grids import timestep_grid
from core.metrics import data_noise_floor, mmd2
from core.models import ExactDenoiser
from core.processes import DiscreteVP
from core.samplers.registry import run_sampler
from demos import plotting
from demos.data_input import data_dropdown, data_spec
from demos.inputs import check_superseded, choice, number, seed
from demos.sharing import Control

TAB_ID = "ddim"
STEPS = (10, 20, 50, 100, 1000)
VARIANTS = {
    "η = 0.0": {"eta": 0.0},
    "η = 0.2": {"eta": 0.2},
    "η = 0.5": {"eta": 0.5},
    "η = 1.0": {"eta": 1.0},
    "σ̂": {"sigma_hat": True},
}
PARTICLE_CHOICES = (500, 1000, 2000)
PAPER_CIFAR10 = {  # Song et al. 2021a, Table 1, CIFAR-10 FID (lower is better)
    "η = 0.0": (13.36, 6.84, 4.67, 4.16, 4.04),
    "η = 0.2": (14.04, 7.11, 4.77, 4.25, 4.09),
    "η = 0.5": (16.66, 8.35, 5.25, 4.46, 4.29),
    "η = 1.0": (41.07, 18.36, 8.01, 5.78, 4.73),
    "σ̂": (367.43, 133.37, 32.72, 9.99, 3.17),
}

NOTES = r"""
**What to notice.** DDIM (Song et al. 2021a, eq. 12) samples with
$x_{s} = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-\sigma^2}\,\hat\varepsilon + \sigma z$ and
$\sigma = \eta\sqrt{(1-\bar\alpha_s)/(1-\bar\alpha_t)}\sqrt{1-\bar\alpha_t/\bar\alpha_s}$ (eq. 16): $\eta=0$ is the
deterministic sampler, $\eta=1$ is DDPM, and $\hat\sigma$ is DDPM with the larger variance $\beta$. The paper's Table 1
(CIFAR-10 FID, second table) says: with few steps $\eta=0$ wins, and only at $S=1000$ does stochasticity stop hurting.
Here every cell is the **exact** error, MMD² against the true mixture in units of its noise floor (|value| ≲ 2 is as
good as exact sampling), with the same initial noise for every cell. Cells where our ordering differs from the
paper's are findings, not bugs: the shape of the data matters. The bottom plot starts $\eta=0$ and $\eta=1$ from the
**same** noise: one path is a smooth curve, the other a random walk that lands elsewhere.
"""

CONTROLS = [
    Control("preset", "ring8"),
    Control("particles", 1000, int),
    Control("seed", 0, int),
    Control("cell_steps", 10, int),
    Control("cell_variant", "η = 0.0"),
]


def _validate(preset, particles, seed_value):
    preset = data_spec(preset)
    particles = number(particles, 100, 2000, "Particles", integer=True)
    if particles not in PARTICLE_CHOICES:
        raise ValueError(f"Particles must be one of {PARTICLE_CHOICES} for the table (it is cached per size).")
    return preset, particles, seed(seed_value)


_TABLES: OrderedDict = OrderedDict()
_MAX_TABLES = 8


def table(preset: str, particles: int, seed_value: int, progress=None) -> dict:
    """All S × variant cells: MMD² in floor units and the samples. Cached (a few seconds to compute,
    most of it the 5 × 1000-step runs); `progress(fraction, desc=...)` is told how far it is."""
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
    total, done = len(VARIANTS) * sum(STEPS), 0
    for j, steps in enumerate(STEPS):
        grid = timestep_grid(DiscreteVP(), steps, "leading")
        for i, (name, params) in enumerate(VARIANTS.items()):
            check_superseded()
            res = run_sampler("ddim", model, grid, particles, seed_value, params, n_paths=0)
            units[i, j] = floor.in_units(mmd2(res.samples, mixture, h))
            samples[(steps, name)] = res.samples
            done += steps
            if progress is not None:
                progress(done / total, desc=f"S = {steps}, {name}")
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
    fig.update_yaxes(autorange="reversed")
    return plotting.base_layout(
        fig, f"Exact error, MMD² in noise-floor units (N = {particles}; |·| ≲ 2 ≈ exact)", height=360, square=False
    )


def table_rows(units: np.ndarray) -> list[list]:
    return [[name, *[round(float(v), 1) for v in row]] for name, row in zip(VARIANTS, units)]


def cell_figure(preset: str, samples: np.ndarray, steps: int, variant: str, value: float) -> go.Figure:
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    fig.add_trace(plotting.points_trace(samples, f"DDIM samples ({variant}, S = {steps})", size=3.5))
    return plotting.set_box(
        plotting.base_layout(fig, f"{variant}, S = {steps}: {value:+.1f} floor units", height=460), box
    )


def paths_figure(preset: str, steps: int, seed_value: int, n: int = 12) -> go.Figure:
    """η = 0 and η = 1 from the same initial noise: a smooth ODE path vs a random walk."""
    mixture = load_data(preset)
    box = plotting.plot_box(mixture)
    grid = timestep_grid(DiscreteVP(), steps, "leading")
    x_init = grid.sigma[0] * np.random.default_rng(seed_value).standard_normal((n, 2))
    fig = go.Figure(plotting.density_trace(mixture, box, name="exact target p₀"))
    for eta, color in ((0.0, "rgba(37, 99, 235, 0.85)"), (1.0, "rgba(220, 38, 38, 0.75)")):
        res = run_sampler(
            "ddim", ExactDenoiser(mixture), grid, n, seed_value + 1, {"eta": eta}, n_paths=n, x_init=x_init
        )
        fig.add_trace(plotting.paths_trace(res.path, name=f"η = {eta:g}", color=color, width=2))
    fig.add_trace(plotting.points_trace(x_init, "shared starting noise", color="#111827", size=7))
    return plotting.set_box(
        plotting.base_layout(fig, f"Same noise, S = {steps}: η = 0 (blue) vs η = 1 (red)", height=460), box
    )


def ddim_view(preset, particles, seed_value, cell_steps, cell_variant, progress=None):
    """(table heatmap, table rows, selected cell's samples, η=0 vs η=1 paths)."""
    preset, particles, seed_value = _validate(preset, particles, seed_value)
    cell_steps = number(cell_steps, 10, 1000, "Cell steps", integer=True)
    if cell_steps not in STEPS:
        raise ValueError(f"Cell steps must be one of {STEPS}.")
    cell_variant = choice(cell_variant, VARIANTS, "variant")
    result = table(preset, particles, seed_value, progress)
    units = result["units"]
    i, j = list(VARIANTS).index(cell_variant), STEPS.index(cell_steps)
    return (
        table_figure(units, particles),
        table_rows(units),
        cell_figure(preset, result["samples"][(cell_steps, cell_variant)], cell_steps, cell_variant, units[i, j]),
        paths_figure(preset, min(cell_steps, 100), seed_value),
    )


def load(values: list) -> list:
    return [*values, *ddim_view(*values)]


def warm_up() -> None:
    """Compute the default table at start-up (it takes seconds; the first visitor should not wait)."""
    ddim_view(*[c.default for c in CONTROLS])


def build():
    import gradio as gr

    from demos.inputs import latest_only, user_facing
    from demos.sharing import RESIZE_JS, link_js, on_first_show

    with gr.Tab("DDIM η tradeoff", id=TAB_ID) as tab:
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                preset = data_dropdown(gr)
                particles = gr.Radio(list(PARTICLE_CHOICES), value=1000, label="Particles per cell")
                seed_box = gr.Number(0, label="Seed", precision=0, minimum=0)
                cell_steps = gr.Radio(list(STEPS), value=10, label="Cell: steps S")
                cell_variant = gr.Radio(list(VARIANTS), value="η = 0.0", label="Cell: variance")
                link_btn = gr.Button("🔗 Link to this view", size="sm")
                link = gr.Textbox(label="Share this link", buttons=["copy"], interactive=False)
            with gr.Column(scale=3, min_width=320, elem_classes=["main-col"]):
                heat = gr.Plot(show_label=False)
                rows = gr.Dataframe(
                    headers=["variance", *[f"S={s}" for s in STEPS]],
                    label="Our Table 1 (MMD² in noise-floor units)",
                    interactive=False,
                )
                gr.Dataframe(
                    [[k, *v] for k, v in PAPER_CIFAR10.items()],
                    headers=["variance", *[f"S={s}" for s in STEPS]],
                    label="The paper's Table 1 (CIFAR-10 FID), for comparison",
                    interactive=False,
                )
                with gr.Row():
                    cell = gr.Plot(show_label=False, min_width=300)
                    paths = gr.Plot(show_label=False, min_width=300)
        gr.Markdown(NOTES, latex_delimiters=[{"left": "$", "right": "$", "display": False}])

    controls = [preset, particles, seed_box, cell_steps, cell_variant]
    outputs = [heat, rows, cell, paths]

    def compute(*values, progress=gr.Progress()):
        return ddim_view(*values, progress=progress)

    view = user_facing(latest_only(compute, len(outputs), [c.name for c in CONTROLS]))
    preset.input(view, controls, outputs, trigger_mode="always_last", api_name="ddim_table")
    for c in controls[1:]:
        c.input(view, controls, outputs, trigger_mode="always_last", api_visibility="private")
    link_btn.click(None, controls, link, js=link_js(TAB_ID, CONTROLS), api_visibility="private")
    first_show = on_first_show(TAB_ID, view, [c.name for c in CONTROLS], len(outputs))
    tab.select(first_show, [*controls, heat], outputs, api_visibility="private")
    tab.select(None, None, None, js=RESIZE_JS, api_visibility="private")
    return tab, controls, outputs
