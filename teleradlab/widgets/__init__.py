"""Interactive widgets (ipywidgets 8) that also leave a static picture headless."""

from teleradlab.widgets.static import is_headless, show

__all__ = ["is_headless", "show"]
