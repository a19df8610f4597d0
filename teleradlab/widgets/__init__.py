"""Interactive widgets (ipywidgets 8) that also leave a static picture headless.

:func:`view` is the offline three-plane volume viewer; the compression explorer and
the network dashboard live in their own modules of this package.
"""

from teleradlab.widgets.static import is_headless, show
from teleradlab.widgets.viewer import VolumeViewer, view

__all__ = ["VolumeViewer", "is_headless", "show", "view"]
