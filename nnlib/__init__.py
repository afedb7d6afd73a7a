"""nnlib: a small, readable neural-network library in NumPy (CuPy on a GPU).

Data flow: datasets → model (layers) → loss → optimizer, driven by ``fit``.

>>> import numpy as np
>>> from nnlib import Linear, ReLU, Sequential, SoftmaxCrossEntropy, SGD, fit
>>> rng = np.random.default_rng(0)
>>> model = Sequential(Linear(2, 8, rng=rng), ReLU(), Linear(8, 2, rng=rng))
"""

from . import backend
from .activations import (ACTIVATIONS, ELU, GELU, Activation, HardSigmoid, HardTanh, Identity,
                          LeakyReLU, Maxout, PReLU, ReLU, Sigmoid, Softmax, Softplus, Step, Swish,
                          Tanh, get_activation)
from .backend import (BackendUnavailableError, get_array_module, get_backend, gpu_available,
                      set_backend, to_cpu, to_device)
from .datasets import (DatasetError, load_mnist, load_wine, logic_gate, make_circles,
                       make_dataset, make_moons, make_spirals, make_toy_wine, make_xor,
                       standardize, train_test_split)
from .functions import log_softmax, one_hot, sigmoid, softmax
from .gradcheck import check_layer, check_loss, check_model, numerical_gradient, relative_error
from .layers import Dropout, Layer, Linear, Sequential, eval_mode, mlp
from .losses import HingeLoss, Loss, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy
from .optimizers import (SGD, AdaGrad, Adam, CosineDecay, Momentum, Optimizer, StepDecay,
                         l2_penalty)
from .training import (History, TrainingDivergedError, accuracy, confusion_matrix, evaluate, fit,
                       minibatches)

__version__ = "0.1.0"

__all__ = [
    "backend", "get_backend", "set_backend", "get_array_module", "gpu_available", "to_cpu",
    "to_device", "BackendUnavailableError",
    "sigmoid", "softmax", "log_softmax", "one_hot",
    "Layer", "Linear", "Dropout", "Sequential", "eval_mode", "mlp",
    "Activation", "Identity", "Step", "Sigmoid", "Tanh", "HardSigmoid", "HardTanh", "ReLU",
    "LeakyReLU", "PReLU", "ELU", "Softplus", "Swish", "GELU", "Maxout", "Softmax",
    "ACTIVATIONS", "get_activation",
    "Loss", "MeanSquaredError", "SoftmaxCrossEntropy", "SigmoidBinaryCrossEntropy", "HingeLoss",
    "Optimizer", "SGD", "Momentum", "AdaGrad", "Adam", "StepDecay", "CosineDecay", "l2_penalty",
    "minibatches", "fit", "evaluate", "accuracy", "confusion_matrix", "History",
    "TrainingDivergedError",
    "numerical_gradient", "relative_error", "check_layer", "check_loss", "check_model",
    "DatasetError", "load_mnist", "load_wine", "make_toy_wine", "logic_gate", "make_xor",
    "make_circles", "make_moons", "make_spirals", "make_dataset", "train_test_split",
    "standardize",
]
