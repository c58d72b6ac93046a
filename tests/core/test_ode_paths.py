"""One PF-ODE under every schedule, and the geometry of its paths (core/ode_paths.py).

Measured (ring8, 500 particles, seed 0, 10 Karras σ̃ nodes in [0.002, 80], DDIM η = 0): VP, sub-VP, EDM and
flow agree with each other to 5e-15 of |x̃| at every node (VE on its own range [0.01, 4.9] to 5e-15).
DDPM and IDDPM cosine, whose nodes are the nearest integer timesteps (σ̃ in [0.01, 80], what DDPM
carries), differ by 3.6e-3 and 2.9e-2 (relative, over the path) and 2.8e-3 / 1.3e-3 on the samples.
Straightness of 100 exact ODE paths from the same noise, in each process's own coordinates: length /
chord flow 1.74, VP 1.37; total turning 3.8 vs 1.4 rad: the flow's paths are *less* straight (the
flow's marginal variance (1-t)²s² + t² dips below both ends, so its paths fall inward and come back out)."""

from __future__ import annotations

import numpy as np
import pytest

from core.datasets import load_preset
from core.mixture import GaussianMixture
from core.ode_paths import (
    NODE_PLACEMENTS,
    common_range,
    endpoint_error,
    exact_endpoint,
    exact_path,
    flow_nodes,
    grid_at,
    karras_nodes,
    lambda_curve,
    ode_error,
    placement_grid,
    placement_nodes,
    relative_time,
    run_ddim,
    run_flow_euler,
    same_nodes,
    solver_error,
    start_state,
    straightness,
)
from core.processes import make_process

CONTINUOUS = ("vp", "subvp", "edm", "flow")


@pytest.fixture(scope="module")
def ring8():
    return load_preset("ring8")


@pytest.fixture(scope="module")
def noise():
    return np.random.default_rng(0).standard_normal((500, 2))


def test_same_sigma_tilde_nodes_give_the_same_samples_on_every_continuous_process(ring8, noise):
    processes = {k: make_process(k, ring8) for k in CONTINUOUS}
    nodes = karras_nodes(10, *common_range(processes.values()))
    res = same_nodes(ring8, processes, nodes, noise)
    print(f"\nrelative deviation from VP per process {dict(zip(res.keys, res.deviation))}")
    assert res.deviation[0] == 0.0
    assert np.all(res.deviation < 1e-10)  # relative to max(1, |x̃|) at each node: |x̃| reaches ~300 at σ̃ = 80
    assert np.all(res.final_difference < 1e-10)
    for g in res.grids:  # every process really carried those nodes, with its own α(t) and σ(t)
        np.testing.assert_allclose(g.sigma_tilde[:-1], nodes, rtol=1e-12)
    alphas = {k: g.alpha[3] for k, g in zip(res.keys, res.grids)}
    assert len({round(a, 6) for a in alphas.values()}) == 4  # …at four different α's


def test_ve_carries_the_same_ode_on_its_range(ring8, noise):
    processes = {k: make_process(k, ring8) for k in ("vp", "ve")}
    lo, hi = common_range(processes.values())
    assert lo == pytest.approx(0.01) and hi == pytest.approx(processes["ve"].sigma_max)
    res = same_nodes(ring8, processes, karras_nodes(10, lo, hi), noise)
    assert res.deviation[1] < 1e-10


def test_discrete_chains_differ_because_their_nodes_are_integer_timesteps(ring8, noise):
    processes = {k: make_process(k, ring8) for k in ("vp", "ddpm", "cosine")}
    nodes = karras_nodes(10, *common_range(processes.values()))
    res = same_nodes(ring8, processes, nodes, noise)
    print(f"\nDDPM / cosine: deviation {res.deviation[1:]}, samples {res.final_difference[1:]}")
    for g in res.grids[1:]:
        assert np.all(g.t[:-1] == np.round(g.t[:-1]))
        off = np.abs(g.sigma_tilde[:-1] / nodes - 1)
        assert off.max() > 1e-3  # rounding moved the nodes
    assert np.all(res.final_difference[1:] > 1e-4)


def test_grid_at_uses_the_nearest_timesteps_of_a_discrete_chain():
    ddpm = make_process("ddpm")
    g = grid_at(ddpm, np.array([80.0, 1.0, 0.5]))
    want = np.round(ddpm.t_from_sigma_tilde(np.array([80.0, 1.0, 0.5])))
    np.testing.assert_array_equal(g.t[:-1], want)
    assert g.t[-1] == -1 and g.sigma[-1] == 0.0 and g.alpha[-1] == 1.0


def test_flow_euler_is_ddim_and_so_is_edm_euler(ring8, noise):
    """Euler in the flow's t: x + (s - t)(ε̂ - x̂₀) = (1 - s) x̂₀ + s ε̂, DDIM's update; on EDM (α = 1) Euler in
    σ is DDIM too. Measured difference 1e-14 (flow) and 7e-15 (EDM), on samples of size ~2."""
    for key in ("flow", "edm"):
        process = make_process(key)
        for placement in ("uniform", "karras"):
            g = placement_grid(process, placement, 10)
            x = g.sigma[0] * noise
            diff = np.abs(run_flow_euler(ring8, g, x) - run_ddim(ring8, g, x)).max()
            assert diff < 1e-12, (key, placement, diff)


def test_ddim_on_vp_with_the_flows_nodes_is_flow_euler(ring8, noise):
    nodes = flow_nodes(10)
    flow, vp = grid_at(make_process("flow"), nodes), grid_at(make_process("vp"), nodes)
    x_tilde = nodes[0] * noise
    euler = run_flow_euler(ring8, flow, flow.alpha[0] * x_tilde) / flow.alpha[:, None, None]
    ddim_vp = run_ddim(ring8, vp, vp.alpha[0] * x_tilde) / vp.alpha[:, None, None]
    scale = np.maximum(1.0, np.abs(euler).max(axis=(1, 2)))
    assert (np.abs(euler - ddim_vp).max(axis=(1, 2)) / scale).max() < 1e-10
    # while Euler in VP's own time on the same nodes is a different (and here worse) integrator
    euler_vp = run_flow_euler(ring8, vp, vp.alpha[0] * x_tilde)[-1]
    assert np.abs(euler_vp - euler[-1]).max() > 1e-2


def test_node_placement_in_lambda_changes_the_result(ring8, noise):
    """The same sampler (DDIM η = 0) on the same process, 10 steps, three node placements: mean distance to
    the exact ODE solution from the same start measured 0.17 (Karras), 0.18 (uniform λ), 0.10 (uniform t)."""
    vp = make_process("vp")
    errors = {
        p: ode_error(ring8, vp, placement_grid(vp, p, 10), noise[:200])[1] for p in ("karras", "logsnr", "uniform")
    }
    print(f"\nVP DDIM 10 steps, error by placement: {errors}")
    values = sorted(errors.values())
    assert values[-1] > 1.3 * values[0]
    fine = ode_error(ring8, vp, placement_grid(vp, "karras", 50), noise[:200])[1]
    assert fine < errors["karras"] / 5  # and the error is the discretisation's: it falls with steps


def test_lambda_curves_and_relative_time():
    for key in ("vp", "edm", "flow", "ddpm"):
        p = make_process(key)
        u, lam = lambda_curve(p)
        assert np.all((u >= 0) & (u <= 1)) and np.all(np.isfinite(lam))
        assert np.all(np.diff(lam) < 0)  # λ falls from data to noise
        t = p.t_min + u * (p.t_max - p.t_min)
        np.testing.assert_allclose(lam, p.log_snr(t))
        np.testing.assert_allclose(relative_time(p, t), u, atol=1e-12)


def test_straightness_of_known_curves():
    line = np.linspace([0.0, 0.0], [3.0, 4.0], 50)[:, None, :]
    s = straightness(line)
    assert s.ratio[0] == pytest.approx(1.0) and s.turning[0] == pytest.approx(0.0, abs=1e-12)
    theta = np.linspace(0, np.pi, 2001)
    r = 2.0
    half_circle = np.stack([r * np.cos(theta), r * np.sin(theta)], 1)[:, None, :]
    s = straightness(half_circle)
    assert s.ratio[0] == pytest.approx(np.pi / 2, rel=1e-5)
    assert s.turning[0] == pytest.approx(np.pi, rel=1e-3)
    assert s.curvature[0] == pytest.approx(1 / r, rel=1e-3)


def test_the_flow_path_of_a_gaussian_has_its_closed_form_shape():
    """For data N(0, s² I) the PF-ODE is linear: x_t = (c(t)/s) x₀. VP: c² = α²s² + σ² is monotone, so the path
    is a straight radial segment (ratio 1). Flow: c² = (1-t)² s² + t² dips to s²/(1+s²) at t = s²/(1+s²), so
    the path goes in along its ray and back out: ratio (1 + s - 2c*)/|s - 1| with c* = s/√(1+s²)."""
    s = np.sqrt(2.0)
    g = GaussianMixture([1.0], [[0.0, 0.0]], [np.eye(2) * s**2])
    z = np.array([[0.8, -0.6], [1.5, 0.3]])
    for key, expected in (("vp", 1.0), ("flow", (1 + s - 2 * s / np.sqrt(1 + s**2)) / (s - 1))):
        p = make_process(key)
        _, path = exact_path(g, p, p.t_max, p.sigma(p.t_max) * z, n_record=400)
        ratio = straightness(path).ratio
        np.testing.assert_allclose(ratio, expected, rtol=2e-3)


def test_flow_paths_are_not_straighter_than_vp_paths_here(ring8):
    """Assert what we measure: in their own coordinates, from the same 100 noise draws, ring8's flow paths
    have length / chord 1.74 and turn 3.8 rad; VP's 1.37 and 1.4 rad."""
    z = np.random.default_rng(1).standard_normal((100, 2))
    measured = {}
    for key in ("flow", "vp"):
        p = make_process(key)
        _, path = exact_path(ring8, p, p.t_max, p.sigma(p.t_max) * z, n_record=100)
        s = straightness(path)
        measured[key] = (float(np.mean(s.ratio)), float(np.mean(s.turning)))
    print(f"\n(length / chord, turning) {measured}")
    assert measured["flow"][0] > 1.15 * measured["vp"][0]
    assert measured["flow"][1] > 1.5 * measured["vp"][1]


@pytest.mark.parametrize("placement", list(NODE_PLACEMENTS))
def test_placement_nodes_decrease_inside_the_common_range(placement):
    a, b = make_process("vp"), make_process("edm")
    lo, hi = common_range([a, b])
    nodes = placement_nodes(a, b, placement, 12)
    assert np.all(np.diff(nodes) < 0) and nodes[0] <= hi * (1 + 1e-12) and nodes[-1] >= lo * (1 - 1e-12)
    if placement != "uniform":
        assert len(nodes) == 12 and nodes[0] == pytest.approx(hi) and nodes[-1] == pytest.approx(lo)
    with pytest.raises(ValueError, match="unknown node placement"):
        placement_nodes(a, b, "random", 12)


def test_solver_error_is_ode_error_against_the_same_exact_endpoints(ring8):
    process = make_process("vp")
    grid = placement_grid(process, "karras", 8)
    z = np.random.default_rng(2).standard_normal((50, 2))
    samples, error = ode_error(ring8, process, grid, z)
    exact = samples - np.array([[3.0, 4.0]])  # endpoints 5 away: the error is the mean distance
    assert endpoint_error(samples, exact) == pytest.approx(5.0)
    x_start = start_state(grid, z)
    assert solver_error(ring8, grid, x_start, exact_endpoint(ring8, process, float(grid.t[0]), x_start)) == error
