"""Bad input never breaks the app or leaks its internals (issue 6).

Property-based: every tab's view function, called the way the app calls it (through `demos.inputs.user_facing`),
with generated arguments (valid ones, extreme valid ones, and valid ones with one or two fields replaced by junk:
NaN, ±inf, huge numbers, wrong types, empty and hostile strings ...) either

* raises `gr.Error` with a short message that a user can act on: no traceback, no path, no exception class name,
  no numpy/Python internals, and not the generic "something went wrong" (that means the view crashed on input it
  should have validated: the test prints the crash), or
* returns outputs whose figures hold only finite numbers (NaN only as the gap markers of line traces) and
  serialise to strict JSON, with no "nan"/"inf" in any text.

Over HTTP, against the launched app: no file outside assets/ is served, uploads are size-limited and never
served as active content, malformed API input gets no exception text, and refused requests are logged
server-side (test-output/app-server.log).
"""

from __future__ import annotations

import ast
import base64
import json
import math
import re
import time
import traceback
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.datasets import PRESETS, load_preset
from core.grids import GRIDS
from core.mixture import MixtureError
from core.processes import PROCESSES
from core.samplers.registry import SAMPLERS
from demos import ddim_table, forward, guidance, reverse
from demos.inputs import MAX_SEED, user_facing

ROOT = Path(__file__).resolve().parents[2]
SERVER_LOG = ROOT / "test-output" / "app-server.log"
MAX_MESSAGE = 300  # characters of a message, user input echoed in it not counted
PWNED = Path("/tmp") / f"reading-room-evaluated-{uuid.uuid4().hex}"  # created only if user text is run as code
EVAL_PAYLOADS = [
    f"__import__('pathlib').Path('{PWNED}').touch()",
    f"exec(\"open('{PWNED}', 'w')\")",
    "{0.__class__.__mro__}",
    "${7*7}",
]

_RELAXED = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


def relaxed(max_examples: int) -> settings:
    """No per-example deadline (a capped run takes seconds on a busy machine), few examples."""
    return settings(_RELAXED, max_examples=max_examples)


# --------------------------------------------------------------------------------------------------------------
# What a clean refusal and a valid answer look like.

LEAKS = [
    (re.compile(r"Traceback"), "a traceback"),
    (re.compile(r'File "'), "a traceback line"),
    (re.compile(r"\bline \d+\b"), "a source line number"),
    (re.compile(r"\b[A-Z]\w*(Error|Exception)\b"), "an exception class name"),
    (re.compile(r"(?:/[\w.-]+){2,}"), "a file path"),
    (re.compile(r"\b\w+\.py\b"), "a Python file name"),
    (re.compile(r"site-packages|<module>|object at 0x"), "interpreter internals"),
    (
        re.compile(
            r"broadcast|\bshapes?\s*\(|\bdtype\b|ndarray|NoneType|invalid literal|could not convert|"
            r"not supported between|unhashable|positional argument|keyword argument|has no attribute|"
            r"object is not|out of bounds for axis|list index|division by zero|math domain",
            re.IGNORECASE,
        ),
        "Python/numpy error text",
    ),
]
BAD_NUMBER_TEXT = re.compile(r"(?<![\w.])[+-]?(nan|inf|infinity)(?![\w])", re.IGNORECASE)


def _echoes(args) -> list[str]:
    """The ways a user's own input can legitimately appear in a message about it."""
    out = []
    for a in args:
        out.append(repr(a))
        if isinstance(a, str) and len(a) >= 4:
            out.append(a)
        if isinstance(a, list | tuple):
            out += _echoes(a)
    return sorted(out, key=len, reverse=True)


def _user_strings(args) -> list[str]:
    out = []
    for a in args:
        if isinstance(a, str):
            out.append(a)
        elif isinstance(a, list | tuple):
            out += _user_strings(a)
    return out


QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")  # a Python string literal
MIN_TRUNCATED_ECHO = 4  # a quoted piece of the user's text at least this long counts as an echo of it


def strip_truncated_echoes(message: str, args) -> str:
    """The message with each quoted piece of a user's own text replaced by «input»: a message may echo the
    start of a long input, cut ("Unknown data '__import__(…/tmp/read'", core/dataspec.py shows 40 characters,
    a number 20 and an ellipsis). Only a Python string literal whose value (less a trailing "…") lies inside one
    of the user's strings counts: a path of the server's own, quoted or not, is still caught by LEAKS."""
    texts = _user_strings(args)

    def is_echo(literal: str) -> bool:
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            return False
        piece = value.removesuffix("…") if isinstance(value, str) else ""
        return len(piece) >= MIN_TRUNCATED_ECHO and any(piece in text for text in texts)

    out, i = [], 0
    while i < len(message):  # a literal may start at any quote (an apostrophe in prose must not hide it)
        found = QUOTED.match(message, i) if message[i] in "'\"" else None
        if found and is_echo(found.group(0)):
            out.append("«input»")
            i = found.end()
        else:
            out.append(message[i])
            i += 1
    return "".join(out)


def _origin(exc: BaseException) -> str:
    tb = exc.__traceback__
    if tb is None:
        return "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def _in_project(filename: str) -> bool:
    path = Path(filename).resolve()
    return ROOT in path.parents and "site-packages" not in path.parts


def error_problems(err: gr.Error, args) -> list[str]:
    """Why a gr.Error is not a clean user-facing refusal (empty list: it is)."""
    problems = []
    cause = err.__context__  # user_facing raises `from None`: the original exception is kept as the context
    if cause is not None and not isinstance(cause, ValueError | MixtureError):
        crash = "".join(traceback.format_exception(cause)[-6:])
        problems.append(f"the view crashed instead of refusing the input cleanly:\n{crash}")
    elif cause is not None and not _in_project(_origin(cause)):
        problems.append(f"a library's ValueError reached the user verbatim (raised in {_origin(cause)}): {cause}")
    message = str(err.message)
    stripped = message
    for echo in _echoes(args):
        stripped = re.sub(rf"(?<!\w){re.escape(echo)}(?!\w)", "«input»", stripped)
    stripped = strip_truncated_echoes(stripped, args)
    if not stripped.strip():
        problems.append("empty message")
    if len(stripped) > MAX_MESSAGE:
        problems.append(f"message of {len(stripped)} characters (without echoed input): {stripped[:200]}...")
    for pattern, what in LEAKS:
        found = pattern.search(stripped)
        if found:
            problems.append(f"message shows {what} ({found.group(0)!r}): {stripped[:300]}")
    return problems


def _numeric_arrays(value, path=""):
    """(path, float array) for every number or numeric array inside a plotly JSON-like structure."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:  # plotly 7's typed-array encoding
        yield path, np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).astype(np.float64)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _numeric_arrays(v, f"{path}.{k}")
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "fiub":
            yield path, value.astype(np.float64, copy=False).ravel()
        elif value.dtype.kind == "O":
            yield from _numeric_arrays(list(value.ravel()), path)
    elif isinstance(value, list | tuple):
        flat = [v for v in value if isinstance(v, int | float | np.number) and not isinstance(v, bool)]
        if flat:
            yield path, np.asarray(flat, dtype=np.float64)
        for i, v in enumerate(value):
            if isinstance(v, dict | list | tuple | np.ndarray):
                yield from _numeric_arrays(v, f"{path}[{i}]")
    elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
        yield path, np.asarray([value], dtype=np.float64)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict) and "bdata" not in value:
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.dtype.kind in "OU"):
        for v in value:
            yield from _strings(v)


def _strict_json(text: str):
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token} (a browser's JSON.parse rejects it)")

    return json.loads(text, parse_constant=refuse)


def figure_problems(fig: go.Figure, name: str) -> list[str]:
    problems = []
    if not fig.data and not fig.layout.annotations:
        problems.append(f"{name}: figure with neither traces nor a message")
    try:
        _strict_json(fig.to_json())
    except ValueError as err:
        problems.append(f"{name}: {err}")
    spec = fig.to_plotly_json()
    for i, trace in enumerate(spec["data"]):
        gaps_ok = trace.get("type") in ("scatter", "scattergl") and "lines" in str(trace.get("mode", "lines"))
        for path, arr in _numeric_arrays(trace, f"data[{i}]({trace.get('type')})"):
            if np.isinf(arr).any():
                problems.append(f"{name}: ±inf in {path}")
            nan = np.isnan(arr)
            if nan.any() and not (gaps_ok and path.rsplit(".", 1)[-1] in ("x", "y") and (~nan).any()):
                problems.append(f"{name}: NaN in {path} ({int(nan.sum())} of {arr.size})")
    for path, arr in _numeric_arrays(spec["layout"], "layout"):
        if not np.isfinite(arr).all():
            problems.append(f"{name}: non-finite number in {path}")
    for text in _strings(spec):
        if BAD_NUMBER_TEXT.search(text):
            problems.append(f"{name}: 'nan'/'inf' in the text {text[:120]!r}")
    return problems


def output_problems(outputs) -> list[str]:
    problems = []
    for k, out in enumerate(outputs if isinstance(outputs, list | tuple) else [outputs]):
        name = f"output {k}"
        if isinstance(out, go.Figure):
            problems += figure_problems(out, name)
        elif isinstance(out, np.ndarray):
            if out.dtype.kind == "f" and not np.isfinite(out).all():
                problems.append(f"{name}: non-finite values in an array")
            if out.dtype.kind not in "fiub":
                problems.append(f"{name}: array of dtype {out.dtype}")
        elif isinstance(out, str):
            if BAD_NUMBER_TEXT.search(out):
                problems.append(f"{name}: 'nan'/'inf' in the text {out[:200]!r}")
        elif isinstance(out, list | tuple):
            for path, arr in _numeric_arrays(list(out), name):
                if not np.isfinite(arr).all():
                    problems.append(f"{name}: non-finite number in table {path}")
            for text in _strings(list(out)):
                if BAD_NUMBER_TEXT.search(text):
                    problems.append(f"{name}: 'nan'/'inf' in the table text {text!r}")
        elif isinstance(out, float) and not math.isfinite(out):
            problems.append(f"{name}: {out}")
    return problems


def check_call(fn, args) -> str:
    """Call fn through user_facing; fail unless it refuses cleanly or answers with finite outputs."""
    try:
        outputs = user_facing(fn)(*args)
    except gr.Error as err:
        problems = error_problems(err, args)
        assert not problems, f"{fn.__name__}{tuple(args)!r}:\n" + "\n".join(problems)
        return "refused"
    problems = output_problems(outputs)
    assert not problems, f"{fn.__name__}{tuple(args)!r}:\n" + "\n".join(problems)
    return "answered"


# --------------------------------------------------------------------------------------------------------------
# Generated arguments.

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -0.0, 2**31, 2**63, 10**400]
        + [np.float64("nan"), np.float32(0.5), np.int64(7), np.bool_(True)]
    ),
    st.text(max_size=20),
    st.sampled_from(
        ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "0x10", "2*100", "1,5", "true", "None", "null", "[]"]
        + ["/etc/passwd", "../app.py", "<script>alert(1)</script>", "ring8 ", "RING8", "ddim\x00", "é", "𝔡𝔡𝔦𝔪"]
        + EVAL_PAYLOADS
    ),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=4),
)
SEEDS = st.one_of(st.integers(0, 3), st.just(MAX_SEED), st.integers(0, MAX_SEED))


@st.composite
def corrupted(draw, valid, max_bad: int = 2):
    """Valid arguments with 0 to max_bad of them replaced by junk (0: reaches the deep code paths)."""
    args = list(draw(valid))
    k = draw(st.integers(0, max_bad))
    for i in draw(st.lists(st.integers(0, len(args) - 1), min_size=k, max_size=k, unique=True)):
        args[i] = draw(JUNK)
    return args


@st.composite
def forward_args(draw):
    process = draw(st.sampled_from(list(PROCESSES)))
    lo, hi, _ = forward.time_range(process)
    t = draw(st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi), st.integers(math.ceil(lo), math.floor(hi))))
    return [draw(st.sampled_from(list(PRESETS))), process, t, draw(st.booleans()), draw(SEEDS), draw(st.booleans())]


def _calls(sampler: str, steps: int, params: dict) -> int:
    """Rough model evaluations of a run (to keep generated runs short: the cap itself is benchmarked)."""
    if sampler == "annealed_langevin":
        return steps * params["steps_per_level"]
    if sampler == "langevin":
        return params["n_steps"]
    if sampler == "pc":
        return steps * (1 + params["n_corrector"])
    return 3 * steps


def _param_value(p):
    if p.choices is not None:
        return st.sampled_from(list(p.choices))
    if isinstance(p.default, bool):
        return st.booleans()
    cheap = {
        "n_steps": [1, 2, 10, 1000],
        "steps_per_level": [1, 2, 10, 100],
        "rtol": [1e-1, 1e-3, 1e-5],  # 1e-10 takes seconds: benchmarks/app.py times it
        "atol": [1e-1, 1e-3, 1e-5],
    }
    if p.name in cheap:
        return st.sampled_from(cheap[p.name])
    if p.integer:
        return st.integers(int(p.lo), int(p.hi))
    hi = p.hi if math.isfinite(p.hi) else 1e6
    edges = [p.lo, p.default] + ([p.hi] if math.isfinite(p.hi) else [math.inf, None])
    return st.one_of(st.sampled_from(edges), st.floats(p.lo, hi))


@st.composite
def reverse_args(draw):
    sampler = draw(st.sampled_from(list(SAMPLERS)))
    spec = SAMPLERS[sampler]
    process = draw(st.one_of(st.just(spec.default_process), st.sampled_from(list(PROCESSES))))
    grid = draw(st.one_of(st.just(spec.default_grid), st.sampled_from(list(GRIDS))))
    if spec.diffusers:
        steps = draw(st.one_of(st.integers(1, 12), st.sampled_from([1, 2, 3, 20, 30])))
    else:
        steps = draw(st.one_of(st.integers(1, 12), st.sampled_from([1, 2, 3, spec.default_steps, 1000])))
    params = {p.name: draw(_param_value(p)) for p in reverse.PARAMS}
    particles = draw(st.one_of(st.sampled_from([10, 11, 100, 2000, 4000]), st.integers(10, 4000)))
    if _calls(sampler, steps, params) > 2000:
        particles = max(particles, 1000)  # the work cap then stops the run within ~2,500 evaluations
    step = draw(st.one_of(st.none(), st.integers(0, 1000), st.just(10**6)))
    inspect = draw(st.integers(0, reverse.N_CLOUD - 1))
    paths = draw(st.integers(0, reverse.MAX_SHOWN_PATHS))
    head = [draw(st.sampled_from(list(PRESETS))), process, grid, sampler, steps, draw(SEEDS), particles]
    return [*head, step, inspect, paths, *[params[p.name] for p in reverse.PARAMS]]


@st.composite
def ddim_args(draw):
    # Tables take seconds each (cached per preset, particles, seed): few particle counts and one seed.
    return [
        draw(st.sampled_from(list(PRESETS))),
        draw(st.sampled_from([500, 500, 500, 1000])),
        0,
        draw(st.sampled_from(list(ddim_table.STEPS))),
        draw(st.sampled_from(list(ddim_table.VARIANTS))),
    ]


@st.composite
def guidance_args(draw):
    preset = draw(st.sampled_from(guidance.GUIDANCE_PRESETS))
    label = draw(st.sampled_from(load_preset(preset).classes.tolist()))
    w = draw(st.one_of(st.sampled_from([0.0, guidance.W_MAX]), st.floats(0.0, guidance.W_MAX)))
    particles = draw(st.one_of(st.sampled_from([100, 2000]), st.integers(100, 2000)))
    steps = draw(st.one_of(st.sampled_from([5, 200]), st.integers(5, 60)))
    if particles * steps > 40_000:  # ten guided runs per curve: keep each example short
        particles = 100
    return [preset, int(label), w, particles, steps, draw(st.sampled_from([0, 1, MAX_SEED]))]


# --------------------------------------------------------------------------------------------------------------
# Every view function.


@relaxed(40)
@given(corrupted(forward_args()))
@example(["ring8", "subvp", 2.2e-115, False, 0])  # found here: σ_t ≈ 0 but not 0
@example(["ring8", "vp", 1e-9, True, 0])
@example(["ring8", "ddpm", 10**400, True, 0])
def test_forward_view_refuses_cleanly_or_draws_finite_figures(args):
    check_call(forward.forward_view, args)


@relaxed(40)
@given(corrupted(reverse_args(), max_bad=1))
@example(["ring8", "ddpm", "leading", "ddim", 10**400, *[c.default for c in reverse.CONTROLS[5:]]])
def test_reverse_view_refuses_cleanly_or_draws_finite_figures(args):
    check_call(reverse.reverse_view, args)


@relaxed(15)
@given(corrupted(ddim_args(), max_bad=1))
def test_ddim_view_refuses_cleanly_or_draws_finite_figures(args):
    check_call(ddim_table.ddim_view, args)


@relaxed(40)
@given(corrupted(guidance_args()))
@example(["guidance_collapse", 0, 10**400, 1000, 50, 0])  # found here: an int too large for a float
def test_guidance_view_refuses_cleanly_or_draws_finite_figures(args):
    check_call(guidance.guidance_view, args)


MODULES = {"forward": forward, "reverse": reverse, "ddim": ddim_table, "guidance": guidance}
VIEWS = {
    "forward": (forward.forward_view, len(forward.CONTROLS)),
    "reverse": (reverse.reverse_view, len(reverse.CONTROLS)),
    "ddim": (ddim_table.ddim_view, len(ddim_table.CONTROLS)),
    "guidance": (guidance.guidance_view, len(guidance.CONTROLS)),
}


def used_fields(name: str) -> list[int]:
    """Indices of the controls a view reads at its default settings (the reverse tab ignores the
    parameters of samplers other than the chosen one, as its hidden boxes do)."""
    module = MODULES[name]
    unused = set()
    if module is reverse:
        wanted = {p.name for p in SAMPLERS[reverse.CONTROLS[3].default].params}
        unused = {p.name for p in reverse.PARAMS} - wanted
    return [i for i, c in enumerate(module.CONTROLS) if c.name not in unused]


@relaxed(60)
@given(name=st.sampled_from(list(VIEWS)), data=st.data())
def test_every_view_refuses_pure_junk_cleanly(name, data):
    fn, n = VIEWS[name]
    args = data.draw(st.lists(JUNK, min_size=n, max_size=n))
    check_call(fn, args)


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_long_junk_data_value_is_echoed_cut_and_nothing_else_leaks(name):
    """The case the junk test above met by chance (issue 26): a data value holding a path of the user's own
    (/tmp/reading-room-evaluated-…) is refused with its first 40 characters quoted, so the path shows cut. That
    is the user's text, not a server path: the refusal must pass, and a path of the server's must still fail."""
    fn, _ = VIEWS[name]
    module = MODULES[name]
    args = [c.default for c in module.CONTROLS]
    args[[c.name for c in module.CONTROLS].index("preset")] = EVAL_PAYLOADS[0]
    with pytest.raises(gr.Error) as info:
        user_facing(fn)(*args)
    message = str(info.value.message)
    assert str(PWNED)[:12] in message and str(PWNED) not in message, message  # the cut echo this test is about
    assert not error_problems(info.value, args), error_problems(info.value, args)
    leaked = gr.Error(message.replace(":", f" ({ROOT / 'core' / 'dataspec.py'}):", 1))
    assert any("file path" in p for p in error_problems(leaked, args)), "a server path would go unnoticed"


def test_every_reverse_sampler_with_a_single_step_refuses_cleanly_or_draws_finite_figures():
    """The fewest steps a user can ask for, on every sampler with its own process and grid."""
    results = {}
    for key, spec in SAMPLERS.items():
        values = {c.name: c.default for c in reverse.CONTROLS}
        values.update(sampler=key, process=spec.default_process, grid=spec.default_grid, steps=1, particles=100)
        results[key] = check_call(reverse.reverse_view, [values[c.name] for c in reverse.CONTROLS])
    assert set(results.values()) <= {"answered", "refused"}


@pytest.mark.parametrize("name", list(VIEWS))
def test_user_text_is_never_evaluated(name):
    """Code in any field is refused as text, never run: arithmetic in a number field is not accepted either."""
    fn, n = VIEWS[name]
    module = MODULES[name]
    good = [c.default for c in module.CONTROLS]
    used = used_fields(name)
    for i in range(n):
        for payload in [*EVAL_PAYLOADS, "2*100"]:
            args = list(good)
            args[i] = payload
            try:
                user_facing(fn)(*args)
            except gr.Error:
                continue
            # accepted: a number field that takes "2*100" or code has evaluated it
            number_field = isinstance(good[i], int | float) and not isinstance(good[i], bool)
            assert not (number_field and i in used), f"{name}: field {module.CONTROLS[i].name} accepted {payload!r}"
    assert not PWNED.exists(), "user text was executed as code"


@pytest.mark.parametrize("name", list(VIEWS))
def test_wrong_types_are_refused_not_coerced(name):
    """A string, list or dict where a number or a switch is expected is refused with a message."""
    fn, _ = VIEWS[name]
    module = MODULES[name]
    accepted = []
    for i, control in enumerate(module.CONTROLS):
        if i not in used_fields(name) or isinstance(control.default, str):
            continue
        wrong = ["maybe", [1], {"a": 1}]
        if not isinstance(control.default, bool):
            wrong.append(True)  # a switch's value where a number is expected
        for bad in wrong:
            args = [c.default for c in module.CONTROLS]
            args[i] = bad
            try:
                user_facing(fn)(*args)
                accepted.append(f"{control.name}={bad!r}")
            except gr.Error as err:
                assert not error_problems(err, args), error_problems(err, args)
    assert not accepted, f"{name} accepted values of the wrong type: {accepted}"


@pytest.mark.parametrize("name", list(VIEWS))
def test_error_messages_stay_short_even_for_huge_input(name):
    """A 100,000-character value in a text field gets a message a toast can show, not the value echoed back."""
    fn, _ = VIEWS[name]
    module = MODULES[name]
    huge = "x" * 100_000
    for i, control in enumerate(module.CONTROLS):
        if i not in used_fields(name) or not isinstance(control.default, str):
            continue
        args = [c.default for c in module.CONTROLS]
        args[i] = huge
        with pytest.raises(gr.Error) as info:
            user_facing(fn)(*args)
        assert len(str(info.value.message)) <= 1000, (
            f"{name}: {control.name} of 100,000 characters gives a message of {len(str(info.value.message)):,}"
        )


# --------------------------------------------------------------------------------------------------------------
# The page-load handler reads the URL's query string: every key is user text.


@pytest.fixture(scope="module")
def on_load():
    import app
    from tests.app.page_load import link_loader

    return link_loader(app.build_app())


QUERY_TEXT = st.sampled_from(
    ["", "nan", "inf", "-1", "1e400", "abc", "0", "1", "3", "true", "1000000", "ring8", "ddim", "ve", "/etc/passwd"]
    + EVAL_PAYLOADS
)
TABS = {m.TAB_ID: m for m in (forward, reverse, ddim_table, guidance)}


@st.composite
def queries(draw):
    tab = draw(st.one_of(st.sampled_from(list(TABS)), st.text(max_size=8)))
    module = TABS.get(tab, forward)
    query = {"tab": tab}
    for c in module.CONTROLS:
        if draw(st.booleans()):
            query[c.name] = draw(st.one_of(QUERY_TEXT, st.just(str(c.default)), st.text(max_size=12)))
    if module is ddim_table and query.get("preset") not in (None, "ring8"):  # a new table takes seconds
        query["preset"] = "ring8"
    if module is reverse and query.get("particles", "") in ("0", "1", "3"):  # refused; keep runs capped
        query["particles"] = "2000"
    return query


@relaxed(30)
@given(query=queries())
@example(query={"tab": "forward", "seed": "1" + "0" * 400})  # found here: int() reads it, float() overflows
def test_page_load_with_any_query_string_refuses_cleanly_or_draws_finite_figures(on_load, query):
    try:
        updates = on_load(query)
    except gr.Error as err:
        problems = error_problems(err, list(query.values()))
        assert not problems, f"query {query!r}:\n" + "\n".join(problems)
        return
    figures = [u for u in updates if isinstance(u, go.Figure)]
    problems = [p for f in figures for p in figure_problems(f, "figure")]
    assert not problems, f"query {query!r}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------------------------------
# Over HTTP, against `python app.py`.


def _get(url: str) -> tuple[int, bytes, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


SECRETS = {
    "/etc/passwd": b"root:",
    "/proc/self/environ": b"GRADIO_SERVER_PORT",
    str(ROOT / "app.py"): b"def build_app",
    str(ROOT / "demos" / "inputs.py"): b"def user_facing",
    str(ROOT / ".git" / "config"): b"[core]",
    str(ROOT / "requirements.txt"): b"gradio",
}


@pytest.mark.parametrize(
    "path",
    [
        "gradio_api/file=/etc/passwd",
        "file=/etc/passwd",
        "gradio_api/file=app.py",
        "file=app.py",
        f"gradio_api/file={ROOT}/app.py",
        f"file={ROOT}/app.py",
        f"gradio_api/file={ROOT}/demos/inputs.py",
        "gradio_api/file=../../../../../etc/passwd",
        "gradio_api/file=%2Fetc%2Fpasswd",
        "gradio_api/file=/proc/self/environ",
        f"gradio_api/file={ROOT}/.git/config",
        "gradio_api/file=requirements.txt",
        f"gradio_api/file={ROOT}/assets/../app.py",
        "assets/../app.py",
        "static/../../app.py",
        "gradio_api/static/../../../app.py",
        "app.py",
    ],
)
def test_server_serves_no_file_outside_assets(app_url, path):
    status, body, _ = _get(app_url + path)
    leaked = [name for name, marker in SECRETS.items() if marker in body and status == 200]
    assert not leaked, f"GET /{path} → {status} served the content of {leaked}"
    if "app.py" in path or "passwd" in path or "environ" in path:
        assert status in (400, 403, 404, 405), f"GET /{path} → {status}"


def _multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def _upload(app_url: str, name: str, content: bytes) -> tuple[int, bytes]:
    body, ctype = _multipart(name, content)
    req = urllib.request.Request(app_url + "gradio_api/upload", data=body, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (urllib.error.URLError, ConnectionError) as err:  # the server answered 413 and closed mid-upload
        return 0, f"refused: {err}".encode()


def test_uploads_are_size_limited(app_url):
    """The app takes no uploads at all; the upload route still exists, so it must at least refuse big files."""
    status, body = _upload(app_url, "big.png", b"\0" * (8 * 1024 * 1024))
    assert status != 200, f"an 8 MB upload was accepted and stored: {body[:200]!r}"


def test_uploaded_files_are_never_served_as_active_content(app_url):
    status, body = _upload(app_url, "page.html", b"<script>alert(1)</script>")
    if status != 200:
        return  # refused: nothing to serve
    stored = json.loads(body)[0]
    status, _, headers = _get(app_url + "gradio_api/file=" + urllib.request.quote(stored))
    if status == 200:
        headers = {k.lower(): v for k, v in headers.items()}
        assert "html" not in headers.get("content-type", "") or "attachment" in headers.get(
            "content-disposition", ""
        ), f"an uploaded HTML file is served inline as {headers.get('content-type')}"


def _client(app_url):
    from gradio_client import Client

    return Client(app_url, verbose=False, download_files=False, analytics_enabled=False)


def _call_error(client, *args, api_name) -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as info:
        client.predict(*args, api_name=api_name)
    return str(info.value)


def test_refused_requests_are_answered_cleanly_and_logged_server_side(app_url):
    marker = f"{500 + uuid.uuid4().int % 400}.{uuid.uuid4().int % 900 + 100}"  # e.g. 731.482: unique per run
    client = _client(app_url)
    message = _call_error(client, "ring8", "ve", float(marker), True, 0, api_name="/forward")
    assert marker in message, message  # the app's own validation answered (t out of range for VE)
    assert not error_problems(gr.Error(message), [float(marker)]), error_problems(gr.Error(message), [])
    deadline = time.time() + 10
    while marker not in SERVER_LOG.read_text(errors="replace") and time.time() < deadline:
        time.sleep(0.2)
    assert marker in SERVER_LOG.read_text(errors="replace"), (
        f"the refused request (t = {marker} for VE) left no trace in {SERVER_LOG.name}"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("ring8", "ddpm", "abc", True, 0),  # text in the t slider
        ("ring8", "ddpm", None, True, 0),
        ("ring8", "ddpm", [250], True, 0),
        ("ring8", "ddpm", 250, True, "seven"),  # text in the seed box
    ],
)
def test_malformed_api_input_gets_no_exception_text(app_url, args):
    """Input the components cannot even read (wrong JSON types) is refused without Python's own error text."""
    message = _call_error(_client(app_url), *args, api_name="/forward")
    problems = error_problems(gr.Error(message), list(args))
    assert not problems, f"/forward{args!r} → {message!r}:\n" + "\n".join(problems)


def test_the_app_still_answers_after_bad_requests(app_url):
    client = _client(app_url)
    for bad in [("ring8", "ve", 999.0, True, 0), ("nope", "ddpm", 250.0, True, 0)]:
        with pytest.raises(Exception):  # noqa: B017 - any refusal will do; the next call is the point
            client.predict(*bad, api_name="/forward")
    out = client.predict("ring8", "ddpm", 250.0, True, 0, api_name="/forward")
    assert out[0]["type"] == "plotly" and not figure_problems(go.Figure(json.loads(out[0]["plot"])), "/forward")
