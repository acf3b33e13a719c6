"""Colors, line styles, bands and the axis rules of the figures."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from saeinit.inits import names  # noqa: E402
from saeinit.reports.aggregate import Condition, Curve, Outcomes, group_runs  # noqa: E402
from saeinit.reports.figures import (  # noqa: E402
    axis_top,
    figure_label,
    init_color,
    missing_note,
    plot_band,
    rare_ratio_figure,
    rare_scenarios,
    variant_style,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_every_registered_init_has_a_color_of_its_own():
    colors = [init_color(init) for init in names()]
    assert len(set(colors)) == len(colors)
    assert init_color(names()[0]) == "C0"


def test_variants_of_one_figure_cycle_through_the_line_styles():
    shown = ["", "k=4", "k=8", "k=16", "k=32"]
    assert [variant_style(v, shown) for v in shown] == ["-", "--", "-.", ":", "-"]


def test_a_figure_of_one_variant_leaves_it_out_of_the_labels():
    fitted = Condition("128x256", "centroid", 0.05, "encoder_init=fitted")
    assert figure_label(fitted, ["encoder_init=fitted"]) == "centroid 5%"
    assert figure_label(fitted, ["", "encoder_init=fitted"]) == "centroid 5% [encoder_init=fitted]"


def test_a_band_is_the_mean_line_over_the_min_max_area_in_the_inits_color():
    curve = Curve(np.array([0.0, 10.0]), np.array([0.5, 0.7]), np.array([0.4, 0.6]),
                  np.array([0.6, 0.8]))  # fmt: skip
    condition = Condition("8x16", "data", None, "k=4")
    fig, ax = plt.subplots()
    plot_band(ax, curve, condition, ["", "k=4"], "data [k=4]", alpha=0.15, lw=1.3)
    (line,) = ax.lines
    assert line.get_xdata().tolist() == [0.0, 10.0] and line.get_ydata().tolist() == [0.5, 0.7]
    assert line.get_color() == init_color("data") and line.get_linestyle() == "--"
    assert line.get_label() == "data [k=4]" and line.get_linewidth() == 1.3
    (band,) = ax.collections
    assert band.get_alpha() == 0.15
    assert np.allclose(band.get_facecolor()[0][:3], to_rgba(init_color("data"))[:3])
    corners = band.get_paths()[0].vertices
    assert {tuple(xy) for xy in corners} >= {(0.0, 0.4), (10.0, 0.6), (10.0, 0.8), (0.0, 0.6)}
    plt.close(fig)


def test_the_axis_reaches_the_slowest_crossing_or_else_the_budget():
    assert axis_top([Outcomes([100, 300], [5000]), Outcomes([200], [])]) == 300
    assert axis_top([Outcomes([], [4000]), Outcomes([], [6000])]) == 6000
    assert axis_top([]) == 1


def test_a_row_says_how_many_seeds_never_crossed():
    assert missing_note(Outcomes([100], [])) == ""
    assert missing_note(Outcomes([100], [1000, 1000])) == " (2/3 not reached)"


def test_figure_two_shows_the_scenarios_with_a_nonzero_rare_ratio(fake_run, tmp_path):
    runs = [
        fake_run("orthogonal", (100, 200, 300)),
        fake_run("data", (100, 200, None)),
        fake_run("centroid", (100, 200, 250), ratio=0.05),
        fake_run("centroid", (100, 200, None), ratio=0.1),
        fake_run("centroid", (100, 200, 300), ratio=0.0, scenario="8x16"),  # no log-axis place
    ]
    groups = group_runs(runs)
    assert rare_scenarios(groups) == ["128x256"]
    path = rare_ratio_figure(groups, tmp_path / "fig2.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
