"""The built site, both languages: strict build, links, math, figures, search, caching, failures."""
import json
import re
import shutil
from pathlib import Path

from buildtools.links import broken_links
from tests.conftest import ROOT, mkdocs_build

RESOURCE = re.compile(r'<(?:script|img|link|source|iframe)\b[^>]*?\s(?:src|href)="([^"]+)"')


def html_pages(site: Path):
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


def test_strict_build_has_no_warning(built_site):
    assert "WARNING" not in built_site.output, built_site.output


def test_no_broken_links_or_anchors_in_either_language(built_site):
    assert broken_links(built_site.site) == []


def test_every_english_page_has_its_chinese_page(built_site):
    site = built_site.site
    english = [p.relative_to(site) for p in html_pages(site) if not p.relative_to(site).parts[0] == "zh"]
    assert english
    for rel in english:
        zh = site / "zh" / rel
        assert zh.exists(), f"no Chinese page for {rel}"
        assert '<html lang="zh"' in zh.read_text(encoding="utf-8")
        assert '<html lang="en"' in (site / rel).read_text(encoding="utf-8")


def test_language_switcher_lands_on_the_twin_page(built_site):
    site = built_site.site
    page = (site / "lr-decay/index.html").read_text(encoding="utf-8")
    assert re.search(r'href="[./]*zh/lr-decay/"[^>]*hreflang="zh"', page)
    page = (site / "zh/lr-decay/index.html").read_text(encoding="utf-8")
    assert re.search(r'href="[./]*lr-decay/"[^>]*hreflang="en"', page)


def test_chinese_site_is_named_and_labelled_in_chinese(built_site):
    page = (built_site.site / "zh/lr-decay/index.html").read_text(encoding="utf-8")
    assert "<title>学习率衰减 - 深度学习优化手册</title>" in page
    assert 'placeholder="搜索"' in page  # Material's own UI labels in Chinese


def test_pages_ask_no_other_host_for_anything(built_site):
    for page in html_pages(built_site.site):
        for url in RESOURCE.findall(page.read_text(encoding="utf-8")):
            assert not re.match(r"^(?:[a-z]+:)?//", url), f"{page}: loads {url}"


def test_formulas_are_typeset_to_mathml(built_site):
    for lang in ("", "zh/"):
        page = (built_site.site / f"{lang}lr-decay/index.html").read_text(encoding="utf-8")
        assert page.count("<math") > 20
        assert 'class="arithmatex"' not in page
    for page in html_pages(built_site.site):
        assert 'class="arithmatex"' not in page.read_text(encoding="utf-8"), page


def test_each_language_shows_its_own_figures(built_site):
    site, figures = built_site.site, ROOT / "docs" / "figures"
    for lang, suffix in (("", ".svg"), ("zh/", ".zh.svg")):
        page = (site / f"{lang}lr-decay/index.html").read_text(encoding="utf-8")
        sources = re.findall(r'<img [^>]*src="([^"]+\.svg)#only-(?:light|dark)"', page)
        assert len(sources) >= 6 and len(sources) % 2 == 0  # each figure: a light and a dark image
        for src in sources:
            served = (site / f"{lang}lr-decay" / src).resolve()
            drawn = figures / served.parent.name / served.name.replace(".svg", suffix)
            assert served.read_bytes() == drawn.read_bytes(), src


def test_figures_are_not_committed():
    assert "docs/figures/" in (ROOT / ".gitignore").read_text()


def test_search_has_one_index_per_language_of_sections(built_site):
    from buildtools.search_index import records

    entry = json.loads((built_site.site / "pagefind/pagefind-entry.json").read_text(encoding="utf-8"))
    assert set(entry["languages"]) == {"en", "zh"}
    assert entry["languages"]["en"]["page_count"] == entry["languages"]["zh"]["page_count"] > 60
    assert not (built_site.site / "search").exists()  # Material's shared index is gone
    by_url = {r["url"]: r for r in records(built_site.site)}
    warmup = by_url["/zh/lr-decay/#warmup"]
    assert warmup["meta"]["title"] == "预热" and "预热" in warmup["meta"]["body"]
    assert "z988470ed" in warmup["content"] and "预" not in warmup["content"]  # pairs, not characters
    assert "/notebooks/cnn-recipe/" not in by_url  # notebook pages repeat the chapter: not indexed
    assert "¶" not in by_url["/lr-decay/#warmup"]["meta"]["title"]


def test_chinese_is_indexed_as_pairs_of_characters_and_formulas_as_tex():
    from buildtools.search_index import encode, sections

    # 用预, 预热 and the run's last character 热, as hexadecimal code points; Latin text unchanged
    assert encode("用预热 warmup") == " z75289884 z988470ed z70ed  warmup"
    lang, found = sections('<html lang="zh"><body><div data-pagefind-body><h2 id="a">标题<a class="headerlink">¶</a></h2>'
                           '<p>正文 <math><mi>k</mi><annotation encoding="application/x-tex">k = -\\ln \\gamma</annotation></math></p>'
                           '<pre><code>x = 1</code></pre></div><nav>导航</nav></body></html>')
    assert lang == "zh" and found == [("a", "标题", "正文 k = -\\ln \\gamma", "x = 1", "正文 k")]


def test_exercise_solutions_are_not_indexed():
    from buildtools.search_index import sections

    _, found = sections('<html lang="en"><body><div data-pagefind-body><h2 id="exercises">Exercises</h2>'
                        '<ol><li><p>Add a warmup.</p><details class="success"><summary>Solution</summary>'
                        '<p>warmup warmup</p><pre><code>warmup = 1</code></pre></details></li></ol></div></body></html>')
    assert [(s[0], s[2].split(), s[3]) for s in found] == [("exercises", ["Add", "a", "warmup."], "")]


def test_second_language_and_rebuild_run_no_snippet_and_convert_no_notebook(built_site, tmp_path):
    # the zh build of the same run draws nothing: at most one 'ran' line (the first language, if cold)
    assert built_site.output.count("figures: ran") <= 1
    rebuild = mkdocs_build(ROOT, tmp_path / "site")
    assert rebuild.returncode == 0, rebuild.output[-3000:]
    assert "figures: ran" not in rebuild.output
    assert "Cache miss" not in rebuild.output  # no notebook converted again either (mkdocs-jupyter's log)


def copy_of_the_repository(tmp_path):
    copy = tmp_path / "repo"
    copy.mkdir(parents=True)
    for name in ("mkdocs.yml", "docs", "snippets", "notebooks", "hooks", "buildtools", "overrides", ".cache"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, copy / name)
    return copy


def test_a_failing_snippet_stops_the_build_naming_the_file(tmp_path):
    copy = copy_of_the_repository(tmp_path)
    broken = copy / "snippets" / "lr_decay" / "plot_broken.py"
    broken.write_text('"""Broken on purpose."""\nraise RuntimeError("deliberate failure")\n')
    build = mkdocs_build(copy, tmp_path / "site")
    assert build.returncode != 0
    assert "snippets/lr_decay/plot_broken.py failed" in build.output
    assert "deliberate failure" in build.output


def test_an_untranslated_code_comment_stops_the_build_naming_it(tmp_path):
    copy = copy_of_the_repository(tmp_path)
    shown = copy / "snippets" / "lr_decay" / "pitfalls.py"  # shown whole on the page, drawn in no figure
    shown.write_text(shown.read_text() + "# a comment nobody translated\n")
    build = mkdocs_build(copy, tmp_path / "site", env={"HANDBOOK_FIGURES": "off"})
    assert build.returncode != 0
    assert "docs/lr-decay.zh.md [snippets/lr_decay/pitfalls.py]" in build.output
    assert "'a comment nobody translated'" in build.output and "snippets/lr_decay/code.zh.yml" in build.output


def test_faults_in_glossaries_pages_and_hung_snippets_stop_the_build_by_name(tmp_path):
    """Fault injection (issue 19): each fault below fails the build with a message naming its file."""
    # 1. a page without its twin: named, and the build stops
    copy = copy_of_the_repository(tmp_path / "a")
    (copy / "docs/playground.zh.md").unlink()
    build = mkdocs_build(copy, tmp_path / "a" / "site", env={"HANDBOOK_FIGURES": "off"})
    assert build.returncode != 0 and "docs/playground.md: no twin page docs/playground.zh.md" in build.output

    # 2. a glossary that is not YAML (named once, with its line), an empty translation, and a
    # snippet that hangs: all named in one build, the hang with where it hung
    copy = copy_of_the_repository(tmp_path / "b")
    (copy / "snippets/combinations/figures.zh.yml").write_text('"Step": "步\n  bad: [\n', encoding="utf-8")
    glossary = copy / "snippets/lr_decay/figures.zh.yml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + '"Linear scale (again)":\n', encoding="utf-8")
    (copy / "snippets/lr_decay/plot_hang.py").write_text(
        '"""Hangs on purpose."""\nimport time\n\n\ndef wait_forever():\n    while True:\n'
        '        time.sleep(0.1)\n\n\nwait_forever()\n')
    build = mkdocs_build(copy, tmp_path / "b" / "site", env={"HANDBOOK_FIGURE_TIMEOUT": "6"})
    assert build.returncode != 0
    assert "entries of" in build.output and "'Linear scale (again)'" in build.output
    assert "snippets/lr_decay/plot_hang.py: ran past the 6 s limit" in build.output
    assert "wait_forever" in build.output  # the stack at the moment it was stopped
    assert "snippets/combinations/figures.zh.yml, line" in build.output and "not valid YAML" in build.output
    assert build.output.count("combinations/figures.zh.yml") == 1  # once, not once per plot snippet


def test_the_sitemap_holds_no_relative_address(built_site):
    for sitemap in built_site.site.rglob("sitemap.xml"):
        locs = re.findall(r"<loc>([^<]*)</loc>", sitemap.read_text(encoding="utf-8"))
        assert all(re.match(r"^https?://", loc) for loc in locs), (sitemap, locs[:3])


def test_mkdocs_serve_shows_a_failing_figure_in_its_place_and_keeps_serving(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    copy = copy_of_the_repository(tmp_path)
    snippet = copy / "snippets/lr_decay/plot_warmup.py"
    snippet.write_text('raise RuntimeError("deliberate failure for serve")\n' + snippet.read_text())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}", "--no-livereload"]
    server = subprocess.Popen(command, cwd=copy, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        page = svg = None
        for _ in range(240):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/lr-decay/", timeout=5).read().decode()
                svg = urllib.request.urlopen(f"http://127.0.0.1:{port}/figures/lr_decay/plot_warmup-1.svg",
                                             timeout=5).read().decode()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.5)
        assert server.poll() is None, "mkdocs serve stopped:\n" + server.stdout.read()[-3000:]
        assert page and 'src="../figures/lr_decay/plot_warmup-1.svg#only-light"' in page
        assert "snippets/lr_decay/plot_warmup.py failed" in svg and "deliberate failure for serve" in svg
    finally:
        server.terminate()
        server.wait(timeout=30)
    # that a real build still fails is test_a_failing_snippet_stops_the_build_naming_the_file


def test_typed_in_code_and_a_broken_demo_are_named_by_the_checks(tmp_path):
    """Fault injection (issue 19), the checks the tests run: code typed into a page outside a fence,
    and a snippet whose demo breaks, each named by file."""
    import subprocess
    import sys

    copy = copy_of_the_repository(tmp_path)
    page = copy / "docs/lr-decay.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nTyped in:\n\n    lr = 0.1 * 0.5\n", encoding="utf-8")
    demo = copy / "snippets/lr_decay/schedules.py"
    demo.write_text(demo.read_text(encoding="utf-8") + "    print(undefined_in_the_demo)\n", encoding="utf-8")
    rules = subprocess.run([sys.executable, "-m", "buildtools.pages"], cwd=copy, capture_output=True, text=True)
    assert rules.returncode == 1 and "docs/lr-decay.md: code typed into the page" in rules.stdout
    command = [sys.executable, "-m", "buildtools.chapter_notebooks", "docs/lr-decay.zh.md", str(tmp_path), "--run"]
    run = subprocess.run(command, cwd=copy, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "[snippets/lr_decay/schedules.py] (%run schedules.py) NameError" in run.stdout, run.stdout[-2000:]
