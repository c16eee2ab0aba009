"""Widget plumbing: interactive explorers that also run headless (CI, nbconvert, a static export).

A lesson writes a ``draw(**values)`` function that makes one figure, then calls
:func:`explorer` with the controls. The default view is drawn at once as an ordinary
figure, so it appears in executed notebooks, in CI and on a static page; moving a
control redraws the figure inside the explorer's output area (needs a live kernel).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping


def current_values(controls: Mapping[str, Any]) -> dict[str, Any]:
    """The ``value`` of each control, keyed like ``controls``."""
    return {name: control.value for name, control in controls.items()}


def explorer(draw: Callable[..., Any], controls: Mapping[str, Any], show_default: bool = True,
             title: str = "Change a control to redraw:"):
    """Show ``controls`` above an output area that ``draw(**values)`` redraws when a control changes.

    Args:
        draw: makes one figure from keyword arguments named like ``controls``.
        controls: name -> ipywidgets control (Dropdown, FloatLogSlider, IntSlider, ...).
        show_default: draw the default view once as a plain figure first (what CI and
            static exports show).
        title: text shown above the controls.

    Returns:
        The ipywidgets ``VBox``; display it (or end the cell with it). Its ``redraw``
        attribute redraws on demand, which tests use.

    Example:
        >>> box = explorer(draw_race, {"lr": widgets.FloatLogSlider(value=0.1, min=-4, max=0)})
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if show_default:
        draw(**current_values(controls))
        plt.show()
    output = widgets.Output()

    def redraw(change: Any = None) -> None:
        with output:
            output.clear_output(wait=True)
            draw(**current_values(controls))
            plt.show()

    for control in controls.values():
        control.observe(redraw, names="value")
    box = widgets.VBox([widgets.HTML(f"<b>{title}</b>"), widgets.HBox(list(controls.values())), output])
    box.redraw = redraw
    return box
