"""A digest of every figure of every scene of every tab, and of each data endpoint's numbers.

    python -m benchmarks.digests [--out FILE] [--tabs ID ...]

For each tab of `demos.tabs` it draws the default view and every scene (a scene sets the controls it names, the
others take their defaults) through the tab's own `load`, and prints one line per output: tab, scene, output
index, what it is, and a short SHA-256 of its content (a figure's JSON, an image's bytes, a text). The data
endpoints (`*_data` functions a tab serves through `gr.api`) are called with their defaults. Run it before and
after a change to the UI layer: identical lines mean the same figures; `diff` shows which ones moved.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import sys

import numpy as np

from demos import kit
from demos.tabs import tab_modules


def digest(value) -> str | None:
    """(kind, short hash) of an output's content, or None for what is not content (a control's update)."""
    import plotly.graph_objects as go

    if isinstance(value, go.Figure) or callable(getattr(value, "to_json", None)):  # a figure or its JSON form
        return "figure " + _sha(value.to_json())
    if isinstance(value, np.ndarray):
        return f"array{value.shape} " + _sha(np.ascontiguousarray(value).tobytes())
    if isinstance(value, str):
        return "text " + _sha(value)
    if isinstance(value, (dict, list, tuple)) or value is None:
        try:
            return "data " + _sha(json.dumps(value, sort_keys=True, default=str))
        except TypeError:
            return None
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # a pandas DataFrame (a table)
        return "table " + _sha(value.to_json())
    return None


def _sha(text) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:16]


def data_endpoints(module) -> list:
    """The functions a tab serves as data endpoints (`*_data`, its own module's), in source order."""
    found = [
        fn
        for name, fn in vars(module).items()
        if name.endswith("_data") and inspect.isfunction(fn) and fn.__module__ == module.__name__
    ]
    return sorted(found, key=lambda fn: fn.__code__.co_firstlineno)


def tab_digests(module) -> list[str]:
    lines = []
    settings = [("(defaults)", {})] + list(getattr(module, "SCENES", {}).items())
    for scene, overrides in settings:
        try:
            if hasattr(module, "SPEC"):  # a tab on the kit: its controls' values, then its outputs by name
                values = kit.drop_invalid(module.SPEC, module.SPEC.scene(scene) if overrides else {})
                outputs = [*values.values(), *kit.draw(module.SPEC, module.SPEC.validate(values)).values()]
                outputs.append(module.SPEC.note(scene if overrides else None))
            else:
                outputs = module.load([overrides.get(c.name, c.default) for c in module.CONTROLS])
        except Exception as err:  # a scene the tab refuses is itself a finding
            lines.append(f"{module.TAB_ID}\t{scene}\t-\terror {type(err).__name__}: {err}")
            continue
        for i, out in enumerate(outputs):
            d = digest(out)
            if d is not None:
                lines.append(f"{module.TAB_ID}\t{scene}\t{i}\t{d}")
    for fn in data_endpoints(module):
        params = inspect.signature(fn).parameters.values()
        if any(p.default is inspect.Parameter.empty and p.kind != p.VAR_KEYWORD for p in params):
            continue  # an endpoint with required arguments has no default call
        try:
            lines.append(f"{module.TAB_ID}\tendpoint {fn.__name__}\t-\t{digest(fn())}")
        except Exception as err:
            lines.append(f"{module.TAB_ID}\tendpoint {fn.__name__}\t-\terror {type(err).__name__}: {err}")
    return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the digests to this file (default: print them)")
    parser.add_argument("--tabs", nargs="*", help="only these TAB_IDs")
    args = parser.parse_args(argv)
    lines = []
    for module in tab_modules():
        if args.tabs and module.TAB_ID not in args.tabs:
            continue
        lines += tab_digests(module)
        print(f"{module.TAB_ID}: done", file=sys.stderr)
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
