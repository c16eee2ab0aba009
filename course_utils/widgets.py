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
             title: str = "Change a control to redraw:",
             presets: Mapping[str, Callable[..., Mapping[str, Any]]] | None = None):
    """Show ``controls`` above an output area that ``draw(**values)`` redraws when a control changes.

    Args:
        draw: makes one figure from keyword arguments named like ``controls``.
        controls: name -> ipywidgets control (Dropdown, FloatLogSlider, IntSlider, ...).
        show_default: draw the default view once as a plain figure first (what CI and
            static exports show).
        title: text shown above the controls.
        presets: control name -> function of the current values (as keyword arguments)
            returning new values for other controls. When that control changes, the other
            controls are set first and the figure is redrawn once, with every new value;
            for example, choosing an optimiser selects its tuned learning rate.

    Returns:
        The ipywidgets ``VBox``; display it (or end the cell with it). Its ``redraw``
        attribute redraws on demand, which tests use.

    Raises:
        ValueError: ``presets`` names a control that is not in ``controls``.

    Example:
        >>> box = explorer(draw_race, {"optimiser": dropdown, "lr": slider},
        ...                presets={"optimiser": lambda optimiser, lr: {"lr": TUNED[optimiser]}})
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    unknown = set(presets or {}) - set(controls)
    if unknown:
        raise ValueError(f"presets name controls that do not exist: {sorted(unknown)}; "
                         f"use names from {sorted(controls)}")
    if show_default:
        draw(**current_values(controls))
        plt.show()
    output = widgets.Output()

    applying = []   # non-empty while a preset sets other controls: their changes must not redraw

    def redraw(change: Any = None) -> None:
        if applying:
            return
        with output:
            output.clear_output(wait=True)
            draw(**current_values(controls))
            plt.show()

    def apply_preset(name: str) -> Callable[[Any], None]:
        def on_change(change: Any = None) -> None:
            applying.append(name)
            try:
                for target, value in presets[name](**current_values(controls)).items():
                    controls[target].value = value
            finally:
                applying.pop()
            redraw()
        return on_change

    for name, control in controls.items():
        control.observe(apply_preset(name) if presets and name in presets else redraw, names="value")
    box = widgets.VBox([widgets.HTML(f"<b>{title}</b>"), widgets.HBox(list(controls.values())), output])
    box.redraw = redraw
    return box
