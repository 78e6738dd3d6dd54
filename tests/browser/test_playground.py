"""The schedule playground (docs/playground.md): its curves and its code agree with PyTorch's schedulers.

Uses the session's Chromium (tests/browser/conftest.py), driven through the URL hash that holds the page's state.
"""
import contextlib
import io
import math
from urllib.parse import quote

import pytest
import torch
from torch.optim import lr_scheduler as sched


REL = 1e-9

# Settings per family, as the page's URL holds them (strings, as typed). Several per family,
# with and without linear warmup, chosen to cross the interesting steps: drops, T_max and past it,
# restarts with T_mult > 1, one-cycle's phase ends, the inverse-square-root peak.
CASES = {
    "step": dict(schedule="step", lr="0.1", steps="100", step_size="30", gamma="0.1"),
    "step-odd": dict(schedule="step", lr="0.05", steps="57", step_size="7", gamma="0.5"),
    "step-warmup": dict(schedule="step", lr="0.1", steps="120", step_size="25", gamma="0.3",
                        warmup="10", start_factor="0.01"),
    "multistep": dict(schedule="multistep", lr="0.1", steps="100", milestones="30,60,80", gamma="0.1"),
    "multistep-close": dict(schedule="multistep", lr="0.2", steps="50", milestones="5, 6, 40", gamma="0.5"),
    "multistep-warmup": dict(schedule="multistep", lr="0.1", steps="60", milestones="10,20", gamma="0.2",
                             warmup="5", start_factor="0.25"),
    "exponential": dict(schedule="exponential", lr="0.1", steps="100", gamma="0.95"),
    "exponential-long": dict(schedule="exponential", lr="0.3", steps="3000", gamma="0.999"),
    "exponential-warmup": dict(schedule="exponential", lr="0.01", steps="80", gamma="0.9",
                               warmup="8", start_factor="0.1"),
    "cosine": dict(schedule="cosine", lr="0.1", steps="100", T_max="100", eta_min="0"),
    "cosine-past-tmax": dict(schedule="cosine", lr="0.1", steps="100", T_max="30", eta_min="0.001"),
    "cosine-warmup": dict(schedule="cosine", lr="0.5", steps="100", T_max="89", eta_min="1e-5",
                          warmup="10", start_factor="0.01"),
    "restarts": dict(schedule="cosine_restarts", lr="0.1", steps="200", T_0="20", T_mult="2", eta_min="0"),
    "restarts-flat": dict(schedule="cosine_restarts", lr="0.1", steps="60", T_0="7", T_mult="1",
                          eta_min="0.01"),
    "restarts-warmup": dict(schedule="cosine_restarts", lr="0.1", steps="150", T_0="10", T_mult="3",
                            eta_min="0.0001", warmup="5", start_factor="0.5"),
    "onecycle": dict(schedule="onecycle", steps="100", max_lr="0.1", pct_start="0.3",
                     anneal_strategy="cos", div_factor="25", final_div_factor="10000", three_phase="0"),
    "onecycle-linear": dict(schedule="onecycle", steps="77", max_lr="0.5", pct_start="0.25",
                            anneal_strategy="linear", div_factor="10", final_div_factor="100", three_phase="0"),
    "onecycle-three": dict(schedule="onecycle", steps="200", max_lr="1", pct_start="0.3",
                           anneal_strategy="cos", div_factor="25", final_div_factor="1e4", three_phase="1"),
    "onecycle-three-linear": dict(schedule="onecycle", steps="40", max_lr="0.01", pct_start="0.45",
                                  anneal_strategy="linear", div_factor="5", final_div_factor="50",
                                  three_phase="1"),
    "isqrt": dict(schedule="inverse_sqrt", lr="0.001", steps="100", warmup="10"),
    "isqrt-one": dict(schedule="inverse_sqrt", lr="0.5", steps="30", warmup="1"),
    "isqrt-long": dict(schedule="inverse_sqrt", lr="3e-4", steps="4000", warmup="400"),
}

# Invalid settings: (settings, the field that must carry the message)
INVALID = {
    "negative-rate": (dict(CASES["step"], lr="-0.1"), "lr"),
    "zero-step-size": (dict(CASES["step"], step_size="0"), "step_size"),
    "zero-period": (dict(CASES["restarts"], T_0="0"), "T_0"),
    "zero-t-max": (dict(CASES["cosine"], T_max="0"), "T_max"),
    "warmup-as-long-as-run": (dict(CASES["cosine-warmup"], warmup="100"), "warmup"),
    "milestones-out-of-order": (dict(CASES["multistep"], milestones="60,30"), "milestones"),
    "gamma-above-one": (dict(CASES["exponential"], gamma="1.5"), "gamma"),
    "eta-min-above-rate": (dict(CASES["cosine"], eta_min="0.2"), "eta_min"),
    "one-cycle-rise-too-short": (dict(CASES["onecycle"], pct_start="0.005"), "pct_start"),
    "not-a-number": (dict(CASES["exponential"], gamma="abc"), "gamma"),
}


def query(settings):
    return "&".join(f"{k}={quote(v, safe=',')}" for k, v in settings.items())


# ---------------------------------------------------------------- PyTorch, independently of the page
def reference_scheduler(optimizer, s):
    """The scheduler the settings describe, built directly with torch.optim.lr_scheduler."""
    fam, n = s["schedule"], int(s["steps"])
    if fam == "onecycle":
        return sched.OneCycleLR(
            optimizer, max_lr=float(s["max_lr"]), total_steps=n, pct_start=float(s["pct_start"]),
            anneal_strategy=s["anneal_strategy"], div_factor=float(s["div_factor"]),
            final_div_factor=float(s["final_div_factor"]), three_phase=s["three_phase"] == "1")
    if fam == "inverse_sqrt":
        warmup = int(s["warmup"])

        def factor(step):
            r = (step + 1) / (warmup + 1)
            return min(r, r ** -0.5)
        return sched.LambdaLR(optimizer, factor)
    main = {
        "step": lambda: sched.StepLR(optimizer, int(s["step_size"]), float(s["gamma"])),
        "multistep": lambda: sched.MultiStepLR(
            optimizer, [int(m) for m in s["milestones"].split(",")], float(s["gamma"])),
        "exponential": lambda: sched.ExponentialLR(optimizer, float(s["gamma"])),
        "cosine": lambda: sched.CosineAnnealingLR(optimizer, int(s["T_max"]), float(s["eta_min"])),
        "cosine_restarts": lambda: sched.CosineAnnealingWarmRestarts(
            optimizer, int(s["T_0"]), int(s["T_mult"]), float(s["eta_min"])),
    }[fam]
    warmup = int(s.get("warmup", "0"))
    if not warmup:
        return main()
    ramp = sched.LinearLR(optimizer, float(s["start_factor"]), 1.0, warmup)
    return sched.SequentialLR(optimizer, [ramp, main()], milestones=[warmup])


def rates(optimizer, scheduler, steps):
    """The rate each step trains with: record, optimizer.step(), scheduler.step()."""
    out = []
    for _ in range(steps):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return out


def reference_curve(s):
    lr = float(s.get("lr", s.get("max_lr")))
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    return rates(optimizer, reference_scheduler(optimizer, s), int(s["steps"]))


def assert_same_curve(got, want, what):
    assert got is not None, f"{what}: no curve"
    assert len(got) == len(want), what
    for step, (a, b) in enumerate(zip(got, want)):
        assert math.isclose(a, b, rel_tol=REL, abs_tol=1e-300), f"{what}: step {step}: {a} != {b}"


# ---------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def site(site_browser):
    """(base URL, a page of its own, page errors), in the session's Chromium (tests/browser/conftest.py)."""
    base, context = site_browser.base, site_browser.context
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield base, page, errors
    page.close()


def open_page(site, settings=None, lang=""):
    """A fresh load of the page (state read from the URL as the page starts)."""
    base, page, _ = site
    page.goto("about:blank")
    page.goto(f"{base}/{lang}playground/" + (f"#{query(settings)}" if settings else ""))
    page.wait_for_function("() => window.playground !== undefined")
    return page


@pytest.fixture(scope="module")
def page(site):
    return open_page(site)


def load(page, settings):
    """Set the state through the URL hash (hashchange), as a shared link would."""
    page.evaluate("h => { location.hash = h; }", query(settings))
    page.wait_for_function("h => window.playground.state() === '#' + h ||"
                           " window.playground.state().startsWith('#' + h + '&')", arg=query(canonical(settings)))


def canonical(settings):
    """The order in which the page writes its state (schedule first, then its parameters)."""
    order = ["schedule", "lr", "steps", "step_size", "milestones", "gamma", "T_max", "T_0", "T_mult",
             "eta_min", "max_lr", "pct_start", "anneal_strategy", "div_factor", "final_div_factor",
             "three_phase", "warmup", "start_factor"]
    return {k: settings[k] for k in order if k in settings}


@pytest.mark.parametrize("name", CASES)
def test_curve_and_code_match_pytorch(page, site, name):
    settings = CASES[name]
    load(page, settings)
    want = reference_curve(settings)
    assert_same_curve(page.evaluate("playground.curve()"), want, f"{name}: page curve")

    code = page.evaluate("playground.code()")
    namespace = {"__name__": "playground_code"}
    exec(compile(code, f"<playground {name}>", "exec"), namespace)  # noqa: S102 - the page's own code
    optimizer, scheduler = namespace["optimizer"], namespace["scheduler"]
    assert isinstance(namespace["model"], torch.nn.Module)
    assert_same_curve(rates(optimizer, scheduler, len(want)), want, f"{name}: generated code")
    assert site[2] == [], site[2]


def test_generated_code_runs_as_a_script(page):
    settings = CASES["cosine-warmup"]
    load(page, settings)
    code, curve = page.evaluate("[playground.code(), playground.curve()]")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<playground script>", "exec"), {"__name__": "__main__"})  # noqa: S102
    lines = printed.getvalue().splitlines()
    assert lines[0].split() == ["step", "0", "lr", f"{curve[0]:.6g}"]
    assert lines[-1].split() == ["step", "99", "lr", f"{curve[99]:.6g}"]


@pytest.mark.parametrize("name", INVALID)
def test_invalid_settings_are_refused_beside_the_control(page, name):
    settings, field = INVALID[name]
    load(page, settings)
    assert page.evaluate("playground.curve()") is None
    assert page.evaluate("playground.code()") is None
    assert field in page.evaluate("playground.errors()")
    info = page.evaluate("""f => {
        const input = document.getElementById('pg-' + f);
        const ids = (input.getAttribute('aria-describedby') || '').split(' ');
        const error = document.getElementById(ids[0]);
        return {invalid: input.getAttribute('aria-invalid'), role: error.getAttribute('role'),
                text: error.textContent, shown: error.offsetParent !== null,
                lines: document.querySelectorAll('.pg-chart polyline').length,
                message: document.querySelector('.pg-message').textContent};
    }""", field)
    assert info["invalid"] == "true" and info["role"] == "alert" and info["shown"], info
    assert info["text"].strip() and info["message"].strip(), info
    assert info["lines"] == 0, "an invalid schedule must not be drawn"


def test_state_is_read_from_the_url_on_load_and_shown_in_the_controls(site):
    settings = CASES["onecycle-three-linear"]
    page = open_page(site, settings)
    assert page.input_value("#pg-schedule") == "onecycle"
    assert page.input_value("#pg-pct_start") == "0.45"
    assert page.input_value("#pg-anneal_strategy") == "linear"
    assert page.is_checked("#pg-three_phase")
    assert page.is_hidden("#pg-lr")  # one-cycle has no base rate
    assert_same_curve(page.evaluate("playground.curve()"), reference_curve(settings), "loaded from URL")


def test_controls_redraw_and_write_the_url(site):
    page = open_page(site)
    page.select_option("#pg-schedule", "step")
    page.fill("#pg-steps", "90")
    page.fill("#pg-step_size", "20")
    page.fill("#pg-gamma", "0.5")
    settings = dict(schedule="step", lr="0.1", steps="90", step_size="20", gamma="0.5", warmup="0")
    assert_same_curve(page.evaluate("playground.curve()"), reference_curve(settings), "typed settings")
    assert page.evaluate("location.hash") == "#" + query(
        dict(schedule="step", lr="0.1", steps="90", step_size="20", gamma="0.5", warmup="0"))
    # every control has a visible label tied to it
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('.pg-controls input, .pg-controls select')]
        .filter(i => i.offsetParent !== null)
        .filter(i => !(i.labels.length && i.labels[0].textContent.trim())).map(i => i.id)""")
    assert unlabelled == []
    # keyboard: Tab reaches the controls, and focus is visible
    page.focus("#pg-gamma")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "pg-warmup"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_pin_overlays_a_second_curve_and_the_pointer_reads_both(site):
    page = open_page(site, CASES["cosine"])
    first = page.evaluate("playground.curve()")
    page.click("text=Pin current as B")
    page.fill("#pg-T_max", "50")
    assert page.evaluate("playground.pinnedCurve()") == first
    assert page.locator(".pg-chart polyline").count() == 2
    assert "&b=" in page.evaluate("location.hash")
    # the shared link restores both curves
    url = page.evaluate("location.href")
    page2 = open_page(site, None)
    page2.goto(url)
    page2.wait_for_function("() => window.playground && window.playground.pinnedCurve() !== null")
    assert page2.evaluate("playground.pinnedCurve()") == first
    # the value under the pointer, from the keyboard
    page2.focus(".pg-chart")
    page2.keyboard.press("End")
    a = page2.evaluate("playground.curve()")[99]
    readout = page2.text_content("#pg-readout")
    assert "step 99" in readout and "A = " in readout and "B = " in readout
    page2.mouse.move(0, 0)
    box = page2.locator(".pg-chart").bounding_box()
    page2.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] / 2)
    assert "step" in page2.text_content("#pg-readout")
    assert a == page2.evaluate("playground.curve()")[99]


def test_copy_button_copies_the_code(site):
    page = open_page(site, CASES["multistep-warmup"])
    page.click(".pg-copy")
    page.wait_for_function("() => document.querySelector('.pg-copy-status').textContent !== ''")
    assert page.evaluate("navigator.clipboard.readText()") == page.evaluate("playground.code()")


def test_chinese_page_is_labelled_in_chinese_and_computes_the_same(site):
    page = open_page(site, CASES["restarts-warmup"], lang="zh/")
    assert page.text_content("label[for=pg-lr]") == "基础学习率"
    assert page.text_content(".pg-pin") == "将当前曲线固定为 B"
    assert_same_curve(page.evaluate("playground.curve()"), reference_curve(CASES["restarts-warmup"]), "zh page")
    load(page, INVALID["negative-rate"][0])
    assert "大于 0" in page.evaluate("playground.errors()")["lr"]


def contrast(fg, bg):
    def luminance(rgb):
        channels = [int(c) / 255 for c in rgb.strip("rgba()").split(",")[:3]]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted([luminance(fg), luminance(bg)], reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_readable_in_light_and_dark_scheme(site, scheme):
    page = open_page(site, dict(INVALID["negative-rate"][0]))
    page.evaluate("s => document.body.setAttribute('data-md-color-scheme', s)", scheme)
    colors = page.evaluate("""() => {
        const bg = getComputedStyle(document.querySelector('.md-main')).backgroundColor;
        const body = getComputedStyle(document.body).backgroundColor;
        const pick = sel => getComputedStyle(document.querySelector(sel)).color;
        return {bg: bg === 'rgba(0, 0, 0, 0)' ? body : bg, label: pick('label[for=pg-lr]'),
                input: pick('#pg-lr'), error: pick('#pg-lr-error')};
    }""")
    for part in ("label", "input", "error"):
        assert contrast(colors[part], colors["bg"]) >= 4.5, (scheme, part, colors)


@pytest.mark.parametrize("name", ["restarts-warmup", "isqrt", "onecycle"])
def test_chinese_page_writes_chinese_comments_and_the_same_code(site, name):
    from buildtools.cjk import HAN
    from buildtools.code_translation import significant_tokens, texts

    settings = CASES[name]
    en = open_page(site, settings).evaluate("playground.code()")
    zh_page = open_page(site, settings, lang="zh/")
    zh = zh_page.evaluate("playground.code()")
    assert significant_tokens(zh) == significant_tokens(en)
    english = [text for _, text, _ in texts(zh) if not HAN.search(text)]
    assert not english, english
    namespace = {"__name__": "playground_code"}
    exec(compile(zh, f"<zh playground {name}>", "exec"), namespace)  # noqa: S102 - the page's own code
    want = reference_curve(settings)
    assert_same_curve(rates(namespace["optimizer"], namespace["scheduler"], len(want)), want, f"zh {name}")
