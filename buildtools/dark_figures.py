"""Dark variants of the build-time figures: the same matplotlib figure, recoloured for a dark page.

A figure is drawn once; its dark variant recolours that figure in place before it is saved again,
so the snippet runs once and both variants show the same data. Neutral colours (white backgrounds,
black text and axes, greys) have their lightness inverted onto Material's dark ("slate")
background; a saturated colour that is too dark to read on it is lightened, and the other
saturated colours (the tab: palette) stay as they are.
"""
import colorsys

import matplotlib
from matplotlib import colors as mcolors

BACKGROUND_LIGHTNESS = 0.13  # about Material's slate background, hsl(232, 15%, 14%)
NEUTRAL = 0.2  # saturation below which a colour is a grey


def dark_color(color):
    """The colour to use on a dark background for `color` (any matplotlib colour; RGBA out)."""
    if color is None or (isinstance(color, str) and color.lower() == "none"):
        return color
    r, g, b, a = mcolors.to_rgba(color)
    h, lightness, s = colorsys.rgb_to_hls(r, g, b)
    if s < NEUTRAL or lightness > 0.97 or lightness < 0.03:  # white, black and greys
        lightness = BACKGROUND_LIGHTNESS + (1 - lightness) * (0.92 - BACKGROUND_LIGHTNESS)
    elif lightness < 0.45:  # a dark saturated colour would vanish on the dark page
        lightness = 1 - lightness
    return (*colorsys.hls_to_rgb(h, lightness, s), a)


def _colors(values):
    """A collection's colour array, recoloured (an empty array stays empty)."""
    return [dark_color(c) for c in mcolors.to_rgba_array(values)] if len(values) else values


def _is_white(color):
    return mcolors.to_rgba(color)[:3] == (1.0, 1.0, 1.0)


def darken(fig):
    """Recolour every artist of `fig` in place for a dark background.

    White figure and axes backgrounds become transparent, so the figure sits on the page's own
    dark background whatever its exact shade.
    """
    clear = (0.0, 0.0, 0.0, 0.0)
    backgrounds = {id(fig.patch)} | {id(ax.patch) for ax in fig.axes}
    for patch in [fig.patch] + [ax.patch for ax in fig.axes]:
        patch.set_facecolor(clear if _is_white(patch.get_facecolor())
                            else dark_color(patch.get_facecolor()))
    for artist in fig.findobj():
        if id(artist) in backgrounds:
            continue
        if isinstance(artist, matplotlib.text.Text):
            artist.set_color(dark_color(artist.get_color()))
            if (box := artist.get_bbox_patch()) is not None:
                box.set_facecolor(dark_color(box.get_facecolor()))
                box.set_edgecolor(dark_color(box.get_edgecolor()))
        elif isinstance(artist, matplotlib.lines.Line2D):
            artist.set_color(dark_color(artist.get_color()))
            artist.set_markerfacecolor(dark_color(artist.get_markerfacecolor()))
            artist.set_markeredgecolor(dark_color(artist.get_markeredgecolor()))
        elif isinstance(artist, matplotlib.patches.Patch):
            artist.set_facecolor(dark_color(artist.get_facecolor()))
            artist.set_edgecolor(dark_color(artist.get_edgecolor()))
        elif isinstance(artist, matplotlib.collections.Collection):
            if artist.get_array() is None:  # a colour-mapped collection keeps its colour map
                artist.set_facecolor(_colors(artist.get_facecolor()))
            artist.set_edgecolor(_colors(artist.get_edgecolor()))
    rc = matplotlib.rcParams
    for ax in fig.axes:
        # ticks are re-created at each draw from the axis's tick settings, so set those (after
        # the loop above, which would otherwise recolour the current ticks a second time)
        for axis, prefix in ((ax.xaxis, "xtick"), (ax.yaxis, "ytick")):
            axis.set_tick_params(which="both", color=dark_color(rc[f"{prefix}.color"]),
                                 labelcolor=dark_color(rc[f"{prefix}.labelcolor"]
                                                       if rc[f"{prefix}.labelcolor"] != "inherit"
                                                       else rc[f"{prefix}.color"]),
                                 grid_color=dark_color(rc["grid.color"]))
