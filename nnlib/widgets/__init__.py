"""Interactive explorers of the book (ipywidgets 8).

Each explorer keeps its logic in ``compute`` (tested in pytest by setting control values)
and draws a figure that the HTML book shows as a static image of the initial state.
"""

from ._base import Explorer
from .descent import GradientDescentExplorer
from .playground import Playground
from .activation import ActivationExplorer
from .neuron import NeuronExplorer
from .digits import DigitExplorer

__all__ = ["Explorer", "GradientDescentExplorer", "Playground", "ActivationExplorer", "NeuronExplorer",
           "DigitExplorer"]
