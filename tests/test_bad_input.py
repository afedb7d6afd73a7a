"""Bad and unusual input against the public API of layers, losses, optimizers, training,
gradcheck and functions (issue 10).

Two tables, one row per case (the row id says what is tried):

* ``ERRORS``: the call must raise the given exception with a message that names the
  function or class, what was expected and what came, **and** leave every parameter,
  optimizer state and loss cache exactly as it was (compared before/after).
* ``VALID``: unusual but valid input that must give the correct result.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from nnlib import (SGD, AdaGrad, Adam, CosineDecay, Dropout, HingeLoss, Layer, Linear,
                   MeanSquaredError, Momentum, ReLU, Sequential, SigmoidBinaryCrossEntropy,
                   SoftmaxCrossEntropy, StepDecay, accuracy, confusion_matrix, evaluate, fit,
                   load_wine, mlp, numerical_gradient, one_hot, relative_error)


# --- state snapshots -------------------------------------------------------------------------

def _state(obj):
    """A deep copy of everything that could change: parameters, optimizer and loss state."""
    if isinstance(obj, Sequential):
        return {"params": {k: v.copy() for k, v in obj.params.items()}, "modes": obj._modes()}
    if isinstance(obj, Layer):
        return {"params": {k: v.copy() for k, v in obj.params.items()},
                "vars": copy.deepcopy({k: v for k, v in vars(obj).items() if k != "rng"})}
    if isinstance(obj, dict):
        return {k: np.array(v, copy=True) for k, v in obj.items()}
    return copy.deepcopy({k: v for k, v in vars(obj).items() if not k.startswith("_buf")})


def _assert_same(a, b, where="state"):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys changed {sorted(a)} -> {sorted(b)}"
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.random.Generator):
        pass
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} -> {b!r}"


# --- building blocks -------------------------------------------------------------------------

def _model(seed=0):
    return mlp([2, 3, 2], rng=np.random.default_rng(seed))


def _data(n=6, seed=1):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, 2)), np.arange(n) % 2


def _pg(p=((1.0, 2.0), (3.0, 4.0)), g=((0.1, 0.2), (0.3, 0.4))):
    return {"W": np.array(p), "b": np.array([1.0, 1.0])}, {"W": np.array(g), "b": np.array([0.5, 0.5])}


def _stepped(opt_cls, **kw):
    """An optimizer that has already made one good step (so it has state to protect)."""
    params, grads = _pg()
    opt = opt_cls(0.1, **kw)
    opt.update(params, grads)
    return opt, params, grads


def _forwarded_loss(loss, y, t):
    loss.forward(y, t)
    return loss


class NaNGradLayer(Layer):
    """A layer whose backward produces NaN gradients (a bug in a user's own layer)."""

    def __init__(self):
        super().__init__()
        self.params = {"W": np.ones((2, 2))}
        self.grads = {"W": np.zeros((2, 2))}
        self._x = None

    def forward(self, x):
        self._x = x
        return x @ self.params["W"]

    def backward(self, dout):
        self.grads["W"][...] = np.nan
        return dout @ self.params["W"].T


def _wine():
    x, t = load_wine()
    x = (x - x.mean(0)) / x.std(0)
    return x, t


# Each builder returns (action, objects whose state must not change).

def c_opt_shape():
    opt, p, g = _stepped(SGD)
    g["W"] = np.ones(2)
    return (lambda: opt.update(p, g)), [opt, p]


def c_opt_nan(cls):
    def build():
        opt, p, g = _stepped(cls)
        g["b"] = np.array([np.nan, 0.0])
        return (lambda: opt.update(p, g)), [opt, p]
    return build


def c_opt_inf_second_key():
    opt, p, g = _stepped(Momentum)
    g["W"] = np.array([[0.1, np.inf], [0.0, 0.0]])
    return (lambda: opt.update(p, g)), [opt, p]


def c_opt_keys():
    opt, p, g = _stepped(Adam)
    del g["b"]
    return (lambda: opt.update(p, g)), [opt, p]


def c_opt_dtype():
    opt, p, g = _stepped(SGD)
    g["W"] = g["W"].astype(np.float32)
    return (lambda: opt.update(p, g)), [opt, p]


def c_opt_int_param():
    opt = SGD(0.1)
    p, g = {"w": np.array([1, 2])}, {"w": np.array([0.5, 0.5])}
    return (lambda: opt.update(p, g)), [opt, p]


def c_opt_list_grads():
    opt, p, g = _stepped(SGD)
    return (lambda: opt.update(p, list(g.values()))), [opt, p]


def c_opt_set_lr(value):
    def build():
        opt, p, _ = _stepped(Adam)
        return (lambda: setattr(opt, "lr", value)), [opt]
    return build


def c_ctor(make):
    return lambda: (make, [])


def c_same_layer():
    relu = ReLU()
    return (lambda: Sequential(Linear(2, 2, rng=np.random.default_rng(0)), relu, relu)), []


def c_forward_bad(value):
    def build():
        model = _model()
        x = np.ones((3, 2))
        x[0, 1] = value
        return (lambda: model.forward(x)), [model]
    return build


def c_predict_nan_weights():
    model = _model()
    model[0].params["W"][0, 0] = np.nan
    return (lambda: model.predict(np.ones((3, 2)))), [model]


def c_backward_before_forward(layer):
    return lambda: ((lambda: layer().backward(np.ones((2, 2)))), [])


def c_loss_backward_before_forward(loss):
    return lambda: ((lambda: loss.backward()), [loss])


def c_loss_bad_forward_keeps_cache():
    loss = _forwarded_loss(SoftmaxCrossEntropy(), np.zeros((2, 3)), np.array([0, 1]))
    return (lambda: loss.forward(np.zeros((2, 3)), np.array([0, 3]))), [loss]


def c_mse_bad_forward_keeps_cache():
    loss = _forwarded_loss(MeanSquaredError(), np.zeros((2, 1)), np.zeros((2, 1)))
    return (lambda: loss.forward(np.zeros((2, 1)), np.zeros((2, 2)))), [loss]


def c_fit(**kw):
    """fit with one argument replaced; model and optimizer must be untouched."""
    def build():
        model = _model()
        opt = Adam(0.1)
        x, t = _data()
        args = dict(x_train=x, t_train=t, epochs=2, batch_size=3, rng=np.random.default_rng(0),
                    progress=False)
        args.update(kw)
        loss = args.pop("loss", SoftmaxCrossEntropy())
        model_ = args.pop("model", model)
        opt_ = args.pop("optimizer", opt)
        return (lambda: fit(model_, loss, opt_, **args)), [model, opt]
    return build


def c_fit_diverges():
    x, t = _wine()
    model = mlp([13, 32, 32, 3], rng=np.random.default_rng(0))
    opt = SGD(10)
    return (lambda: fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=20, batch_size=16,
                        rng=np.random.default_rng(0), progress=False)), [model, opt]


def c_fit_diverges_adam_later_epoch():
    x, t = _wine()
    model = mlp([13, 32, 32, 3], rng=np.random.default_rng(0))
    opt = Momentum(3.0)
    return (lambda: fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=50, batch_size=16,
                        rng=np.random.default_rng(0), progress=False)), [model, opt]


def c_fit_nan_gradients():
    model = Sequential(NaNGradLayer())
    opt = Adam(0.1)
    x, t = _data()
    return (lambda: fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=1, batch_size=3,
                        rng=np.random.default_rng(0), progress=False)), [model, opt]


def c_call(f, *args, **kw):
    return lambda: ((lambda: f(*args, **kw)), [])


def c_accuracy(x, t):
    def build():
        model = _model()
        return (lambda: accuracy(model, x, t)), [model]
    return build


def c_evaluate(x, t):
    def build():
        model = _model()
        loss = _forwarded_loss(SoftmaxCrossEntropy(), np.zeros((1, 2)), np.array([0]))
        return (lambda: evaluate(model, loss, x, t)), [model]
    return build


X6, T6 = _data()

ERRORS = [
    # optimizers: update checks everything before writing anything
    ("sgd-grad-wrong-shape", c_opt_shape, ValueError,
     r"SGD.update: expected the gradient 'W' of shape \(2, 2\) \(like the parameter\), got \(2,\)"),
    ("sgd-nan-grad", c_opt_nan(SGD), FloatingPointError,
     r"SGD.update: expected finite gradients, got NaN or inf in \['b'\]; no parameter was changed"),
    ("adam-nan-grad", c_opt_nan(Adam), FloatingPointError,
     r"Adam.update: expected finite gradients, got NaN or inf in \['b'\]"),
    ("adagrad-nan-grad", c_opt_nan(AdaGrad), FloatingPointError,
     r"AdaGrad.update: expected finite gradients"),
    ("momentum-inf-in-one-of-two-grads", c_opt_inf_second_key, FloatingPointError,
     r"Momentum.update: expected finite gradients, got NaN or inf in \['W'\]"),
    ("adam-missing-key", c_opt_keys, KeyError,
     r"Adam.update: params and grads need the same keys, got \['W', 'b'\] and \['W'\]"),
    ("sgd-grad-float32-param-float64", c_opt_dtype, TypeError,
     r"SGD.update: expected the gradient 'W' of dtype float64 \(like the parameter\), got float32"),
    ("sgd-int-parameter", c_opt_int_param, TypeError,
     r"SGD.update: expected the parameter 'w' as floating point, got dtype int64"),
    ("sgd-grads-as-list", c_opt_list_grads, TypeError,
     r"SGD.update: expected params and grads as dicts of arrays, got dict and list"),
    ("adam-eps-0", c_ctor(lambda: Adam(eps=0)), ValueError,
     r"Adam: expected eps > 0 .*, got eps=0"),
    ("adagrad-eps-0", c_ctor(lambda: AdaGrad(eps=0)), ValueError,
     r"AdaGrad: expected eps > 0 .*, got eps=0"),
    ("adam-beta2-1", c_ctor(lambda: Adam(beta2=1)), ValueError,
     r"Adam: expected 0 <= beta2 < 1 .*, got beta2=1"),
    ("adam-beta1-negative", c_ctor(lambda: Adam(beta1=-0.1)), ValueError,
     r"Adam: expected 0 <= beta1 < 1, got beta1=-0.1"),
    ("momentum-1", c_ctor(lambda: Momentum(0.1, momentum=1.0)), ValueError,
     r"Momentum: expected 0 <= momentum < 1, got momentum=1.0"),
    ("weight-decay-negative", c_ctor(lambda: SGD(0.1, weight_decay=-0.01)), ValueError,
     r"SGD: expected weight_decay >= 0, got weight_decay=-0.01"),
    ("lr-bool", c_ctor(lambda: SGD(True)), TypeError,
     r"SGD: expected lr to be a real number, got True \(bool\)"),
    ("lr-string", c_ctor(lambda: Momentum("0.1")), TypeError,
     r"Momentum: expected lr to be a real number, got '0.1' \(str\)"),
    ("lr-nan", c_ctor(lambda: AdaGrad(float("nan"))), ValueError,
     r"AdaGrad: expected a finite lr, got nan"),
    ("lr-negative-set-later", c_opt_set_lr(-1.0), ValueError,
     r"Adam: expected a learning rate lr > 0, got lr=-1.0"),
    ("lr-numpy-bool-set-later", c_opt_set_lr(np.bool_(True)), TypeError,
     r"Adam: expected lr to be a real number, got (np\.)?True_? \(bool_?\)"),
    ("step-decay-drop-0", c_ctor(lambda: StepDecay(0.1, drop=0.0)), ValueError,
     r"StepDecay: expected 0 < drop <= 1, got drop=0.0"),
    ("cosine-decay-epochs-0", c_ctor(lambda: CosineDecay(0.1, epochs=0)), ValueError,
     r"CosineDecay: expected epochs to be a positive integer, got 0"),
    # layers and Sequential
    ("same-layer-twice", c_same_layer, ValueError,
     r"Sequential: the same layer object ReLU\(\) appears twice \(positions 1 and 2"),
    ("forward-nan-input", c_forward_bad(np.nan), ValueError,
     r"Sequential.forward: expected finite values in x, got 1 NaN and 0 inf among 6 entries"),
    ("forward-inf-input", c_forward_bad(np.inf), ValueError,
     r"Sequential.forward: expected finite values in x, got 0 NaN and 1 inf among 6 entries"),
    ("predict-nan-weights", c_predict_nan_weights, FloatingPointError,
     r"Sequential.predict: the outputs contain NaN or inf although x is finite; the parameters "
     r"\['0.W'\] contain NaN or inf"),
    ("linear-backward-before-forward",
     c_backward_before_forward(lambda: Linear(2, 2, rng=np.random.default_rng(0))), RuntimeError,
     r"Linear\(2→2\): backward called before forward"),
    ("relu-backward-before-forward", c_backward_before_forward(ReLU), RuntimeError,
     r"ReLU\(\): backward called before forward"),
    ("dropout-backward-before-forward",
     c_backward_before_forward(lambda: Dropout(0.5, rng=np.random.default_rng(0))), RuntimeError,
     r"Dropout\(p=0.5\): backward called before forward"),
    ("dropout-p-1", c_ctor(lambda: Dropout(1.0, rng=np.random.default_rng(0))), ValueError,
     r"Dropout: expected a drop probability 0 <= p < 1, got 1.0"),
    ("linear-wrong-width", lambda: ((lambda: Linear(3, 2, rng=np.random.default_rng(0))
                                     .forward(np.ones((4, 2)))), []), ValueError,
     r"Linear\(3→2\): expected input of shape \(N, 3\), got \(4, 2\)"),
    # losses
    ("mse-backward-before-forward", c_loss_backward_before_forward(MeanSquaredError()),
     RuntimeError, r"MeanSquaredError.backward: called before forward; call forward\(y, t\) first"),
    ("softmax-ce-backward-before-forward", c_loss_backward_before_forward(SoftmaxCrossEntropy()),
     RuntimeError, r"SoftmaxCrossEntropy.backward: called before forward"),
    ("sigmoid-bce-backward-before-forward",
     c_loss_backward_before_forward(SigmoidBinaryCrossEntropy()), RuntimeError,
     r"SigmoidBinaryCrossEntropy.backward: called before forward"),
    ("hinge-backward-before-forward", c_loss_backward_before_forward(HingeLoss()), RuntimeError,
     r"HingeLoss.backward: called before forward"),
    ("softmax-ce-bad-label-keeps-cache", c_loss_bad_forward_keeps_cache, ValueError,
     r"SoftmaxCrossEntropy: expected labels in \[0, 3\), got values from 0 to 3"),
    ("mse-bad-shape-keeps-cache", c_mse_bad_forward_keeps_cache, ValueError,
     r"MeanSquaredError: expected t of the same shape as y \(2, 1\), got \(2, 2\)"),
    ("mse-half-not-bool", c_ctor(lambda: MeanSquaredError(half=1)), TypeError,
     r"MeanSquaredError: expected half to be True or False, got 1"),
    # fit: checked up front
    ("fit-sgd10-wine-diverges", c_fit_diverges, FloatingPointError,
     r"fit: training diverged at epoch 1, step \d+: the loss exploded to .*, above .* = 1000 "
     r"x max\(first mini-batch's loss .*, 1\).*restored to their values before training.*"
     r"Try a smaller learning rate \(now 10\)"),
    ("fit-momentum3-wine-diverges", c_fit_diverges_adam_later_epoch, FloatingPointError,
     r"fit: training diverged at epoch \d+, step \d+: .*Try a smaller learning rate \(now 3\)"),
    ("fit-nan-gradients", c_fit_nan_gradients, FloatingPointError,
     r"fit: training diverged at epoch 1, step 1: the gradients of \['0.W'\] contain NaN or inf"),
    ("fit-x-val-without-t-val", c_fit(x_val=X6), ValueError,
     r"fit: give both x_val and t_val, or neither"),
    ("fit-early-stopping-without-val", c_fit(early_stopping=3), ValueError,
     r"fit: early_stopping=3 needs validation data \(x_val and t_val\)"),
    ("fit-early-stopping-0", c_fit(early_stopping=0, x_val=X6, t_val=T6), ValueError,
     r"fit: expected a positive integer early_stopping, got 0"),
    ("fit-eval-train-negative", c_fit(eval_train=-5), ValueError,
     r"fit: expected eval_train to be True, False or a positive number of samples, got -5"),
    ("fit-explosion-factor-1", c_fit(explosion_factor=1), ValueError,
     r"fit: expected explosion_factor > 1 or None, got 1"),
    ("fit-lr-schedule-not-callable", c_fit(lr_schedule=0.1), TypeError,
     r"fit: expected lr_schedule to be callable or None, got float"),
    ("fit-lr-schedule-gives-0", c_fit(lr_schedule=lambda e: 0.0), ValueError,
     r"fit: lr_schedule\(1\) returned an invalid learning rate 0.0 \(Adam: expected a learning "
     r"rate lr > 0, got lr=0.0\)"),
    ("fit-batch-size-bool", c_fit(batch_size=True), ValueError,
     r"minibatches: expected a positive integer batch_size, got True"),
    ("fit-epochs-bool", c_fit(epochs=True), ValueError,
     r"fit: expected a positive integer epochs, got True"),
    ("fit-loss-class-not-instance", c_fit(loss=SoftmaxCrossEntropy), TypeError,
     r"fit: expected loss to be a Loss \(e.g. SoftmaxCrossEntropy\(\)\), got type"),
    ("fit-optimizer-missing", c_fit(optimizer=None), TypeError,
     r"fit: expected optimizer to be an Optimizer \(e.g. SGD\(0.1\)\), got NoneType"),
    ("fit-t-3d", c_fit(t_train=np.zeros((6, 2, 1))), ValueError,
     r"fit: expected t_train to be 1-D or 2-D, got shape \(6, 2, 1\)"),
    ("fit-nan-in-val", c_fit(x_val=np.full((2, 2), np.nan), t_val=[0, 1]), ValueError,
     r"fit: expected finite values in x_val, got 4 NaN and 0 inf among 4 entries"),
    ("fit-list-with-wrong-count", c_fit(x_train=X6.tolist(), t_train=[0, 1]), ValueError,
     r"fit: x_train has 6 samples but t_train has 2"),
    # metrics
    ("accuracy-1-label-for-5-samples", c_accuracy(X6[:5], np.array([1])), ValueError,
     r"accuracy: expected one target per sample \(5\), got t of shape \(1,\)"),
    ("accuracy-empty", c_accuracy(np.zeros((0, 2)), np.zeros(0, int)), ValueError,
     r"accuracy: expected at least one sample in x, got an empty batch of shape \(0, 2\)"),
    ("accuracy-scalar-label", c_accuracy(X6, np.int64(1)), ValueError,
     r"accuracy: expected one target per sample \(6\), got t of shape \(\)"),
    ("evaluate-empty", c_evaluate(np.zeros((0, 2)), np.zeros(0, int)), ValueError,
     r"evaluate: expected at least one sample in x, got an empty batch"),
    ("evaluate-length-mismatch", c_evaluate(X6, T6[:4]), ValueError,
     r"evaluate: expected one target per sample \(6\), got t of shape \(4,\)"),
    ("evaluate-nan", c_evaluate(np.full((2, 2), np.nan), [0, 1]), ValueError,
     r"evaluate: expected finite values in x, got 4 NaN"),
    ("confusion-matrix-empty", c_call(confusion_matrix, [], []), ValueError,
     r"confusion_matrix: expected at least one label, got empty t and y"),
    ("confusion-matrix-n-classes-0", c_call(confusion_matrix, [0, 1], [1, 0], n_classes=0),
     ValueError, r"confusion_matrix: expected a positive integer n_classes, got 0"),
    ("confusion-matrix-length", c_call(confusion_matrix, [0, 1, 1], [1, 0]), ValueError,
     r"confusion_matrix: expected t and y of equal length, got 3 and 2"),
    ("confusion-matrix-negative", c_call(confusion_matrix, [0, -1], [1, 0]), ValueError,
     r"confusion_matrix: expected labels in \[0, \d+\), got values from -1 to 0"),
    ("confusion-matrix-label-too-big", c_call(confusion_matrix, [0, 2], [1, 0], n_classes=2),
     ValueError, r"confusion_matrix: expected labels in \[0, 2\), got values from 0 to 2"),
    ("one-hot-n-classes-0", c_call(one_hot, np.array([0]), 0), ValueError,
     r"one_hot: expected n_classes to be a positive integer, got 0"),
    # gradient checking tools
    ("numerical-gradient-int", c_call(numerical_gradient, lambda: 0.0, np.array([1, 2])),
     TypeError, r"numerical_gradient: expected x as floating point \(float64\), got dtype int64"),
    ("numerical-gradient-list", c_call(numerical_gradient, lambda: 0.0, [1.0, 2.0]), TypeError,
     r"numerical_gradient: expected x to be an array that f reads, got list"),
    ("numerical-gradient-eps-0", c_call(numerical_gradient, lambda: 0.0, np.ones(2), eps=0),
     ValueError, r"numerical_gradient: expected a step eps > 0, got 0"),
    ("relative-error-shapes", c_call(relative_error, np.ones((2, 3)), np.ones(6)), ValueError,
     r"relative_error: expected a and b of the same shape, got \(2, 3\) and \(6,\)"),
]


@pytest.mark.parametrize("build, exc, message", [r[1:] for r in ERRORS], ids=[r[0] for r in ERRORS])
def test_bad_input_raises_clearly_and_changes_nothing(build, exc, message):
    action, objects = build()
    before = [_state(o) for o in objects]
    with pytest.raises(exc, match=message):
        action()
    for o, b in zip(objects, before):
        _assert_same(b, _state(o), type(o).__name__)


# --- valid but unusual input: correct results ---------------------------------------------------

def v_numpy_scalar_lr():
    p, g = _pg()
    SGD(np.float32(0.5)).update(p, g)
    np.testing.assert_allclose(p["W"], [[1 - 0.05, 2 - 0.1], [3 - 0.15, 4 - 0.2]], rtol=1e-7)


def v_zero_gradients_adam_adagrad():
    for opt in (Adam(0.1), AdaGrad(0.1), Adam(0.1, beta1=0.0, beta2=0.0)):
        p, g = _pg(g=((0.0, 0.0), (0.0, 0.0)))
        g["b"][...] = 0.0
        for _ in range(3):
            opt.update(p, g)
        np.testing.assert_array_equal(p["W"], [[1.0, 2.0], [3.0, 4.0]])  # no NaN, no motion


def _grad_of_sum_of_squares(x):
    return numerical_gradient(lambda: float((x ** 2).sum()), x)


def v_numerical_gradient_fortran():
    x = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(_grad_of_sum_of_squares(x), 2 * x, atol=1e-7)


def v_numerical_gradient_slice():
    base = np.arange(12.0).reshape(3, 4)
    x = base[:, ::2]  # non-contiguous view
    np.testing.assert_allclose(_grad_of_sum_of_squares(x), 2 * x, atol=1e-7)
    np.testing.assert_array_equal(base, np.arange(12.0).reshape(3, 4))  # restored


def v_numerical_gradient_float32_warns():
    x = np.array([0.5, -1.0], dtype=np.float32)
    with pytest.warns(UserWarning, match=r"numerical_gradient: x has dtype float32"):
        g = _grad_of_sum_of_squares(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 2 * x.astype(float), rtol=0.05)


def v_accuracy_lists():
    model = Sequential(Linear.from_weights(np.eye(2)))
    assert accuracy(model, [[1.0, 0.0], [0.0, 1.0]], [0, 0]) == 0.5


def v_evaluate_lists():
    model = Sequential(Linear.from_weights(np.eye(2)))
    loss_value, acc = evaluate(model, SoftmaxCrossEntropy(), [[0.0, 0.0]], [1])
    assert loss_value == pytest.approx(np.log(2)) and acc == 0.0


def v_confusion_matrix_lists():
    np.testing.assert_array_equal(confusion_matrix([0, 1, 1], [0, 0, 1]), [[1, 0], [1, 1]])


def v_fit_lists():
    x, t = _data()
    h = fit(_model(), SoftmaxCrossEntropy(), SGD(0.1), x.tolist(), t.tolist(), epochs=1,
            batch_size=3, rng=np.random.default_rng(0), progress=False)
    h2 = fit(_model(), SoftmaxCrossEntropy(), SGD(0.1), x, t, epochs=1,
             batch_size=3, rng=np.random.default_rng(0), progress=False)
    assert h.train_loss == h2.train_loss


def v_forward_list():
    model = _model()
    np.testing.assert_array_equal(model.forward([[1.0, 2.0]]), model.forward(np.array([[1.0, 2.0]])))


VALID = [
    ("sgd-lr-numpy-float32", v_numpy_scalar_lr),
    ("adam-adagrad-zero-gradients-no-nan", v_zero_gradients_adam_adagrad),
    ("numerical-gradient-fortran-order", v_numerical_gradient_fortran),
    ("numerical-gradient-sliced-view", v_numerical_gradient_slice),
    ("numerical-gradient-float32-warns", v_numerical_gradient_float32_warns),
    ("accuracy-lists", v_accuracy_lists),
    ("evaluate-lists", v_evaluate_lists),
    ("confusion-matrix-lists", v_confusion_matrix_lists),
    ("fit-lists", v_fit_lists),
    ("forward-list", v_forward_list),
]


@pytest.mark.parametrize("check", [r[1] for r in VALID], ids=[r[0] for r in VALID])
def test_unusual_but_valid_input_gives_the_correct_result(check):
    check()
