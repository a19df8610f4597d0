"""A PNG picture widget that reports clicks and the screen's device-pixel ratio.

``ipywidgets.Image`` shows bytes but reports no clicks, and it is displayed at the
picture's own size, so a 1:1 PNG looks blurry on a high-density screen. This small
anywidget (no network, its JavaScript is the string below) does both:

* the kernel sends a PNG rendered at ``dpr`` times the CSS size in ``width`` x
  ``height`` and the browser shows it at exactly that CSS size, so it is crisp;
* a click sets ``click`` to ``{"x": fx, "y": fy, "n": count}`` where ``fx, fy`` are
  the fractions (0–1) of the picture's width and height, which the kernel maps to
  whatever the picture shows;
* on display the browser writes its ``window.devicePixelRatio`` into ``dpr``, so
  the kernel re-renders at the screen's density.
"""

from __future__ import annotations

from collections.abc import Callable

import anywidget
import traitlets

_ESM = """
function render({ model, el }) {
  const img = document.createElement("img");
  img.style.cursor = "crosshair";
  img.style.display = "block";
  img.draggable = false;
  let url = null;
  const update = () => {
    const data = model.get("value");
    if (url) { URL.revokeObjectURL(url); }
    url = URL.createObjectURL(new Blob([data], { type: "image/png" }));
    img.src = url;
    img.style.width = model.get("width") + "px";
    img.style.height = model.get("height") + "px";
    img.className = model.get("css_class");
    img.alt = model.get("alt");
  };
  img.addEventListener("click", (e) => {
    const r = img.getBoundingClientRect();
    model.set("click", { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height,
                         n: (model.get("click").n || 0) + 1 });
    model.save_changes();
  });
  model.on("change:value", update);
  model.on("change:width", update);
  model.on("change:height", update);
  update();
  const dpr = window.devicePixelRatio || 1;
  if (dpr !== model.get("dpr")) { model.set("dpr", dpr); model.save_changes(); }
  el.appendChild(img);
  return () => { if (url) { URL.revokeObjectURL(url); } };
}
export default { render };
"""


class ClickImage(anywidget.AnyWidget):
    """A PNG shown at a fixed CSS size that reports clicks as fractions of its size.

    Attributes
    ----------
    value : bytes
        The PNG.
    width, height : float
        The CSS size in pixels at which it is shown (fractions allowed, so that the
        shape is exact; the PNG may have more pixels).
    dpr : float
        The browser's device-pixel ratio, set by the browser on display.
    click : dict
        The last click: ``x`` and ``y`` as fractions of width and height, ``n`` a counter.
    css_class : str
        Class names given to the ``<img>`` (the browser tests find pictures by them).
    """

    _esm = _ESM
    value = traitlets.Bytes(b"").tag(sync=True)
    width = traitlets.Float(100.0).tag(sync=True)
    height = traitlets.Float(100.0).tag(sync=True)
    dpr = traitlets.Float(1.0).tag(sync=True)
    click = traitlets.Dict({}).tag(sync=True)
    css_class = traitlets.Unicode("").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)

    def on_click(self, callback: Callable[[float, float], None]) -> None:
        """Call ``callback(fx, fy)`` with the fractions of width and height at each click."""
        def _handler(change: dict) -> None:
            new = change["new"] or {}
            if "x" in new and "y" in new:
                callback(min(max(float(new["x"]), 0.0), 1.0), min(max(float(new["y"]), 0.0), 1.0))

        self.observe(_handler, names="click")
