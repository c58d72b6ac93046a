"""Wording a reading group reads aloud (issue 26.18): numbers a person can say, names instead of internal keys."""

from __future__ import annotations

import pytest

from demos import pf_ode
from demos.inputs import MAX_SEED, seed


def test_a_refused_seed_names_its_bounds_in_full():
    with pytest.raises(ValueError) as err:
        seed(MAX_SEED + 1)
    assert str(err.value) == f"Seed must lie between 0 and {MAX_SEED:,}; got {MAX_SEED + 1:,}."
    assert "e+" not in str(err.value)


def test_titles_name_processes_not_keys():
    assert [pf_ode.short_name(k) for k in ("vp", "edm", "flow", "ddpm")] == ["VP SDE", "EDM", "Flow matching", "DDPM"]
    run = pf_ode.schedules_run("ring8", "vp", "edm", 5, "karras", 0)
    title = pf_ode.schedules_figure("ring8", "vp", "edm", run).layout.title.text
    assert "VP SDE vs EDM" in title and "vp vs edm" not in title
