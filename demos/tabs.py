"""The one list of tabs the app serves, in the order they are shown.

`app.py` builds them, the Syllabus tab links to their scenes, "Use in all tabs" reaches their data controls,
and the tests and benchmarks iterate over them: a new tab is served, linked, tested and benchmarked by being
listed here. Modules are imported on first use (`tab_modules()`), so a tab module may read the list without an
import cycle.
"""

from __future__ import annotations

import importlib

# The tabs in the syllabus's order of topics, in groups the navigation shows (demos/navigation.py): a reading
# group's first sessions, then samplers, guidance and editing, training and likelihood, few steps and latents.
TAB_GROUPS = (
    ("Overview", ("syllabus",)),
    ("Foundations", ("forward", "reverse", "score_langevin")),
    ("Samplers", ("ddim_table", "pf_ode", "race")),
    ("Guidance & editing", ("guidance", "inpainting")),
    ("Training & likelihood", ("learned", "elbo")),
    ("Few steps & latents", ("few_steps", "latent")),
    ("Your data", ("your_data",)),
)
TAB_NAMES = [name for _, names in TAB_GROUPS for name in names]


def tab_modules() -> list:
    """The tab modules, in order (each has TAB_ID, CONTROLS, SCENES, load and build)."""
    return [importlib.import_module(f"demos.{name}") for name in TAB_NAMES]


def tab_groups() -> list[tuple[str, list]]:
    """(group label, its tab modules) in order: the navigation's groups."""
    return [(label, [importlib.import_module(f"demos.{name}") for name in names]) for label, names in TAB_GROUPS]


def tabs_by_id() -> dict:
    """{TAB_ID: module} of the served tabs."""
    return {module.TAB_ID: module for module in tab_modules()}
