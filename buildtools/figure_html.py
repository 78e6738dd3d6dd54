"""How a page shows its build-time figures: a light and a dark variant, lazily loaded, sized.

Pages write a figure once, as ``![alt](figures/<topic>/<stem>-<n>.svg)``. In the page's HTML this
becomes two images, the light one marked ``#only-light`` and the dark variant (``<stem>-<n>.dark.svg``,
drawn by buildtools.render_figures) marked ``#only-dark``, Material's convention for images that
follow the colour scheme. Both load lazily (the hidden one is never fetched) and carry the
figure's width and height, so the page does not shift while they load.
"""
import re
from pathlib import Path

FIGURE = re.compile(r'<img (?P<before>[^>]*?)src="(?P<src>[^"]*figures/(?P<path>[^"]+?))\.svg"'
                    r'(?P<after>[^>]*?)\s*/?>')
SVG_SIZE = re.compile(rb'<svg[^>]*?\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"')


def figure_size(svg: Path):
    """(width, height) in CSS pixels of a matplotlib SVG, or None if it has no size in points."""
    match = SVG_SIZE.search(svg.read_bytes()[:2000])
    return None if match is None else tuple(round(float(v) * 4 / 3) for v in match.groups())


def figures_for_schemes(html: str, figures_dir: Path) -> str:
    """Rewrite each figure <img> into its light and dark variants, lazy and sized."""
    def both(match):
        attrs = f'{match["before"]}{match["after"]}'.strip()
        size = None
        if (figures_dir / f'{match["path"]}.svg').is_file():
            size = figure_size(figures_dir / f'{match["path"]}.svg')
        extra = ' loading="lazy" decoding="async"'
        if size:
            extra += f' width="{size[0]}" height="{size[1]}"'
        return (f'<img {attrs} src="{match["src"]}.svg#only-light"{extra} />'
                f'<img {attrs} src="{match["src"]}.dark.svg#only-dark"{extra} />')
    return FIGURE.sub(both, html)
