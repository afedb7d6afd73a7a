"""Interactive explorers of the book ("エクスプローラ").

Each explorer keeps its logic in ``compute`` (tested in pytest by setting control values).
Its output carries a payload of nnlib's data that the book's script ``nnlib-live.js`` draws
live, in the HTML book (offline, also from ``file://``) and in JupyterLab (an anywidget
whose module is the same script), with the explorer's PNG as the fallback where
JavaScript is off. ``tools/explorer_check.py`` proves in Chromium that the script computes
what nnlib computes.
"""

from ._base import Explorer
from .descent import GradientDescentExplorer
from .playground import Playground
from .activation import ActivationExplorer
from .neuron import NeuronExplorer
from .digits import DigitExplorer

__all__ = ["Explorer", "GradientDescentExplorer", "Playground", "ActivationExplorer", "NeuronExplorer",
           "DigitExplorer"]
