"""The one list of tabs the app serves, in the order they are shown.

`app.py` builds them, the Syllabus tab links to their scenes, "Use in all tabs" reaches their data controls,
and the tests and benchmarks iterate over them: a new tab is served, linked, tested and benchmarked by being
listed here. Modules are imported on first use (`tab_modules()`), so a tab module may read the list without an
import cycle.
"""

from __future__ import annotations

import importlib

TAB_NAMES = [
    "syllabus",
    "forward",
    "reverse",
    "ddim_table",
    "learned",
    "guidance",
    "inpainting",
    "score_langevin",
    "pf_ode",
    "race",
    "elbo",
    "latent",
    "few_steps",
    "your_data",
]


def tab_modules() -> list:
    """The tab modules, in order (each has TAB_ID, CONTROLS, SCENES, load and build)."""
    return [importlib.import_module(f"demos.{name}") for name in TAB_NAMES]


def tabs_by_id() -> dict:
    """{TAB_ID: module} of the served tabs."""
    return {module.TAB_ID: module for module in tab_modules()}
