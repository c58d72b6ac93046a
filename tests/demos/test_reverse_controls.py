"""Reverse tab: a control the chosen sampler ignores is disabled and says why (issue 26.14), and it really is
ignored: changing it leaves the samples bit for bit the same, while a control left enabled changes them."""

from __future__ import annotations

import numpy as np
import pytest

from core.dataspec import load_data
from core.grids import make_grid
from core.models import ExactDenoiser
from core.processes import make_process
from core.samplers.registry import SAMPLERS, get_sampler, run_sampler
from demos import reverse

N = 200


def samples(sampler: str, process: str, grid: str, steps: int, params: dict | None = None) -> np.ndarray:
    spec = get_sampler(sampler)
    mixture = load_data("ring8")
    g = make_grid(make_process(process, mixture), grid, steps)
    chosen = {p.name: p.default for p in spec.params} | (params or {})
    return run_sampler(sampler, ExactDenoiser(mixture), g, N, 0, chosen).samples


# (sampler, its usual setting, another value of each control it ignores)
CASES = {
    "diffusers:DDIM": (dict(process="ddpm", grid="leading", steps=10), dict(process="vp", grid="karras")),
    "langevin": (dict(process="ve", grid="logsnr", steps=10, params=dict(n_steps=50)), dict(steps=3)),
    "distilled": (dict(process="ddpm", grid="trailing", steps=4), dict(process="vp", grid="karras")),
}


@pytest.mark.parametrize("sampler", list(CASES))
def test_an_ignored_control_changes_nothing(sampler):
    """The samples agree to rounding (a diffusers row rescales x_T by σ_T of our process: 1e-15)."""
    usual, other = CASES[sampler]
    assert set(other) <= set(reverse.unused_controls(get_sampler(sampler)))
    before = samples(sampler, **usual)
    for name, value in other.items():
        after = samples(sampler, **{**usual, name: value})
        assert np.allclose(after, before, rtol=0, atol=1e-12), f"{sampler}: {name} mattered"


def test_plain_langevin_takes_from_the_grid_only_what_every_grid_shares():
    """Plain Langevin reads the grid's first level (its start x_T ~ N(0, σ_T² I)) and its smallest positive level
    (the score's σ̃_min): the same on every grid of a process to rounding, so the grid is ignored. (Its samples
    are not bit for bit the same: 50 Langevin steps amplify a 1e-15 change of σ_T at a basin boundary.)"""
    assert "grid" in reverse.unused_controls(get_sampler("langevin"))
    process = make_process("ve", load_data("ring8"))
    levels = {g: make_grid(process, g, 10) for g in ("logsnr", "karras", "linspace", "leading", "trailing")}
    for g, grid in levels.items():
        assert grid.sigma[0] == pytest.approx(levels["logsnr"].sigma[0], rel=1e-12), g
        assert grid.alpha[0] == pytest.approx(levels["logsnr"].alpha[0], rel=1e-12), g
        assert grid.sigma[-2] == pytest.approx(levels["logsnr"].sigma[-2], rel=1e-12), g


def test_an_enabled_control_changes_the_samples():
    """The check above can fail: DDIM uses all three, and each changes its samples."""
    usual = dict(process="ddpm", grid="leading", steps=10)
    assert not reverse.unused_controls(get_sampler("ddim"))
    before = samples("ddim", **usual)
    for name, value in dict(process="vp", grid="trailing", steps=5).items():
        assert not np.allclose(samples("ddim", **{**usual, name: value}), before, rtol=0, atol=1e-3), name


def test_every_sampler_states_its_controls():
    """Each sampler's states: the ignored ones disabled with a reason, the others enabled with their usual help."""
    for key, spec in SAMPLERS.items():
        states = reverse.control_states(spec)
        unused = reverse.unused_controls(spec)
        assert set(states) == set(reverse.STATE_CONTROLS), key
        for name, state in states.items():
            assert state["interactive"] == (name not in unused), (key, name)
            if name in unused:
                assert state["info"].startswith("not used:"), (key, name)
        assert (spec.diffusers or bool(spec.own_schedule)) == ("process" in unused), key


def test_mode_shares_read_in_one_order():
    """Issue 26.16: the title and the metrics line of one view give the shares in the data's component order,
    with the truth in the same order (ncsn_fig3: the light mode first, 0.20 / 0.80)."""
    from demos import plotting

    assert plotting.shares_text([0.49, 0.51], [0.2, 0.8]) == "0.49 / 0.51 (true 0.20 / 0.80)"
    assert plotting.shares_text(np.full(8, 1 / 8), np.full(8, 1 / 8)) == "mode TV 0.000 over 8 modes"
    scene = reverse.SPEC.scene("Langevin gets the weights wrong")
    values = {**reverse.SPEC.defaults(), **scene, "particles": 200, "n_steps": 100, "step": None}
    _, commit, text, _ = reverse.reverse_view(*[values[c.name] for c in reverse.CONTROLS])
    title = commit.layout.title.text
    shares = title.split("ends at ", 1)[1].split(" (true", 1)[0]
    assert "(true 0.20 / 0.80)" in title
    assert f"**mode shares** {shares} (true 0.20 / 0.80)" in text
