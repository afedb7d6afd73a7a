"""One flat array for all parameters (``mlp``) and the whole-buffer update that ``fit`` uses.

The fast path must be the slow one, bit for bit: the same parameters, optimizer state and
gradients after ``fit``. And it must step aside whenever the model's arrays are no longer
the views it made (an array replaced, a copy of the model), so that no array a learner
holds silently stops being the model's.
"""

import copy

import numpy as np
import pytest

from nnlib import (SGD, AdaGrad, Adam, Momentum, Sequential, SoftmaxCrossEntropy, fit, mlp)


def _data(seed=0, n=120):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 3, n)


def _twins():
    """An mlp (one flat buffer) and a copy of it whose layers own separate arrays."""
    flat = mlp([6, 8, 5, 3], "relu", rng=np.random.default_rng(1), dtype="float32")
    separate = Sequential(*[copy.deepcopy(layer) for layer in flat.layers])
    return flat, separate


def _fit(model, opt, epochs=3):
    x, t = _data()
    # batch 32 on 120 samples: the last batch of every epoch has 24 rows
    return fit(model, SoftmaxCrossEntropy(), opt, x, t, epochs=epochs, batch_size=32,
               rng=np.random.default_rng(2), progress=False, eval_train=False)


OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "momentum": lambda: Momentum(0.05, 0.9),
    "adagrad": lambda: AdaGrad(0.05),
    "adam": lambda: Adam(0.01),
    "adam-wd": lambda: Adam(0.01, weight_decay=0.01),  # weight decay: the per-parameter path
    "sgd-wd": lambda: SGD(0.1, weight_decay=0.01),
}


def test_mlp_keeps_all_parameters_in_one_buffer():
    flat, separate = _twins()
    flat_p, flat_g = flat._flat_buffers(flat.params, flat.grads)
    assert flat_p.size == flat.n_params == flat_g.size
    expected = np.concatenate([p.ravel() for p in separate.params.values()])
    np.testing.assert_array_equal(flat_p, expected)  # same values as before the move
    for p, g in zip(flat.params.values(), flat.grads.values()):
        assert p.base is flat_p and g.base is flat_g
    assert separate._flat_buffers(separate.params, separate.grads) is None


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_flat_fit_equals_per_parameter_fit_bit_for_bit(name):
    flat, separate = _twins()
    opt_flat, opt_sep = OPTIMIZERS[name](), OPTIMIZERS[name]()
    h_flat, h_sep = _fit(flat, opt_flat), _fit(separate, opt_sep)
    for k in flat.params:
        np.testing.assert_array_equal(flat.params[k], separate.params[k], err_msg=k)
        # after fit the gradients are those of the last mini-batch, on both paths
        np.testing.assert_array_equal(flat.grads[k], separate.grads[k], err_msg=k)
    for state in opt_flat._state_names:
        a, b = getattr(opt_flat, state), getattr(opt_sep, state)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"{state}[{k}]")
    assert getattr(opt_flat, "t", None) == getattr(opt_sep, "t", None)
    assert h_flat.epoch == h_sep.epoch


def test_fit_updates_the_whole_buffer_at_once():
    flat, _ = _twins()
    opt = Adam(0.01)
    calls = []
    step = opt._step

    def spy(k, p, g, xp, a, h, g_free=False):
        calls.append((p.shape, g_free))
        return step(k, p, g, xp, a, h, g_free)

    opt._step = spy
    _fit(flat, opt, epochs=2)
    # one call per mini-batch (4 per epoch), each on the whole vector; the gradients serve
    # as scratch space except at the last step of each epoch
    assert calls == [((flat.n_params,), free)
                     for _ in range(2) for free in (True, True, True, False)]
    # the state is one flat array too, and the per-key entries are views into it
    assert all(opt.m[k].base is opt.m["0.W"].base for k in opt.m)


def test_flat_state_continues_with_update():
    """After a flat fit, update() per parameter carries on the same Adam state."""
    flat, separate = _twins()
    opt_flat, opt_sep = Adam(0.01), Adam(0.01)
    _fit(flat, opt_flat)
    _fit(separate, opt_sep)
    grads = {k: np.full_like(g, 0.5) for k, g in flat.grads.items()}
    opt_flat.update(flat.params, grads)
    opt_sep.update(separate.params, grads)
    for k in flat.params:
        np.testing.assert_array_equal(flat.params[k], separate.params[k], err_msg=k)
        np.testing.assert_array_equal(opt_flat.v[k], opt_sep.v[k], err_msg=k)


def test_an_array_taken_before_fit_stays_the_model_weight():
    model, _ = _twins()
    W = model.params["0.W"]
    before = W.copy()
    _fit(model, SGD(0.1))
    assert W is model.params["0.W"] and not np.array_equal(W, before)


def test_a_replaced_array_is_trained_per_parameter():
    model, _ = _twins()
    new_W = model.layers[0].params["W"].copy()
    model.layers[0].params["W"] = new_W  # no longer a view of the flat buffer
    assert model._flat_buffers(model.params, model.grads) is None
    before = new_W.copy()
    _fit(model, Adam(0.01))
    assert model.layers[0].params["W"] is new_W and not np.array_equal(new_W, before)


def test_a_deep_copy_trains_on_its_own():
    model, _ = _twins()
    clone = copy.deepcopy(model)
    assert clone._flat_buffers(clone.params, clone.grads) is None  # its arrays are no views
    before = {k: p.copy() for k, p in model.params.items()}
    _fit(clone, SGD(0.1))
    for k, p in model.params.items():
        np.testing.assert_array_equal(p, before[k], err_msg=k)  # the original is untouched
    assert not np.array_equal(clone.params["0.W"], before["0.W"])


def test_one_optimizer_on_two_models_keeps_them_apart():
    """State made on one flat model is not reused on another of another size."""
    a = mlp([6, 8, 3], rng=np.random.default_rng(3), dtype="float32")
    b = mlp([6, 4, 3], rng=np.random.default_rng(3), dtype="float32")
    opt = SGD(0.1)
    _fit(a, opt, epochs=1)
    _fit(b, opt, epochs=1)  # a scratch array of a's size must not be reused
    assert all(np.isfinite(p).all() for p in b.params.values())


@pytest.mark.parametrize("use_fit", [True, False])
def test_an_optimizer_reused_on_another_model_is_refused_before_any_change(use_fit):
    a = mlp([6, 8, 3], rng=np.random.default_rng(3), dtype="float32")
    b = mlp([6, 4, 3], rng=np.random.default_rng(4), dtype="float32")
    opt = Adam(0.01)
    _fit(a, opt, epochs=1)
    before = {k: p.copy() for k, p in b.params.items()}
    m_before = {k: v.copy() for k, v in opt.m.items()}
    with pytest.raises(ValueError, match=r"Adam.update: the optimizer's state m\['0.W'\] has "
                                         r"shape \(6, 8\) and dtype float32, but the parameter "
                                         r"has \(6, 4\) and float32: this optimizer was used "
                                         r"for another model"):
        if use_fit:
            _fit(b, opt, epochs=1)
        else:
            opt.update(b.params, {k: np.ones_like(p) for k, p in b.params.items()})
    for k, p in b.params.items():
        np.testing.assert_array_equal(p, before[k], err_msg=k)
    for k, v in opt.m.items():
        np.testing.assert_array_equal(v, m_before[k], err_msg=k)
