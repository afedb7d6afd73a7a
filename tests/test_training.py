"""Mini-batches, fit, evaluation metrics, and an end-to-end run (XOR)."""

import math
import time

import numpy as np
import pytest

from nnlib import (SGD, Adam, History, Linear, MeanSquaredError, ReLU, Sequential, SoftmaxCrossEntropy,
                   accuracy, confusion_matrix, evaluate, fit, logic_gate, make_moons, make_xor,
                   minibatches,
                   mlp, one_hot)
from nnlib.training import progress_default


# minibatches

def test_minibatches_cover_every_sample_exactly_once():
    x = np.arange(10.0).reshape(10, 1)
    t = np.arange(10)
    batches = list(minibatches(x, t, 4, np.random.default_rng(0)))
    assert [len(tb) for _, tb in batches] == [4, 4, 2]  # the last batch is smaller
    seen = np.concatenate([tb for _, tb in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(10))
    assert not np.array_equal(seen, np.arange(10))  # shuffled
    for xb, tb in batches:  # rows stay paired with their labels
        np.testing.assert_array_equal(xb[:, 0], tb)


def test_minibatches_shuffle_is_determined_by_the_rng():
    x, t = np.arange(20.0).reshape(20, 1), np.arange(20)

    def order(seed):
        return np.concatenate([tb for _, tb in minibatches(x, t, 6, np.random.default_rng(seed))])

    np.testing.assert_array_equal(order(3), order(3))
    assert not np.array_equal(order(3), order(4))
    # one generator gives a different order in the next epoch
    rng = np.random.default_rng(3)
    first = np.concatenate([tb for _, tb in minibatches(x, t, 6, rng)])
    second = np.concatenate([tb for _, tb in minibatches(x, t, 6, rng)])
    assert not np.array_equal(first, second)


def test_minibatches_without_shuffle_keep_the_order():
    x, t = np.arange(5.0).reshape(5, 1), np.arange(5)
    batches = list(minibatches(x, t, 2, shuffle=False))
    assert [tb.tolist() for _, tb in batches] == [[0, 1], [2, 3], [4]]


def test_minibatches_errors():
    x, t = np.zeros((4, 2)), np.zeros(4, dtype=int)
    with pytest.raises(ValueError, match=r"minibatches: expected a positive integer batch_size, "
                                         r"got 0"):
        list(minibatches(x, t, 0, np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"minibatches: x has 4 samples but t has 3"):
        list(minibatches(x, t[:3], 2, np.random.default_rng(0)))
    with pytest.raises(TypeError, match=r"minibatches: shuffle=True needs "
                                        r"rng=numpy.random.Generator, got NoneType"):
        list(minibatches(x, t, 2))


# fit

@pytest.fixture
def moons():
    rng = np.random.default_rng(0)
    x, t = make_moons(60, rng=rng)
    return x, t, rng


def test_fit_returns_a_history_with_one_entry_per_epoch(moons):
    x, t, rng = moons
    model = mlp([2, 8, 2], "tanh", rng=rng)
    calls = []
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, t, epochs=3, batch_size=16, rng=rng,
            x_test=x[:10], t_test=t[:10], progress=False,
            callback=lambda epoch, hist: calls.append((epoch, len(hist.train_loss))))
    assert isinstance(h, History)
    assert h.epoch == [1, 2, 3]
    for name in ("train_loss", "train_acc", "test_loss", "test_acc", "seconds"):
        assert len(getattr(h, name)) == 3, name
    assert all(0 <= a <= 1 for a in h.train_acc + h.test_acc)
    assert all(s >= 0 for s in h.seconds)
    assert calls == [(1, 1), (2, 2), (3, 3)]  # after each epoch, with the history so far
    # the recorded training loss is the loss of the model on the whole training set
    assert h.train_loss[-1] == pytest.approx(evaluate(model, SoftmaxCrossEntropy(), x, t)[0])
    assert h.train_loss[-1] < h.train_loss[0]


def test_fit_without_test_set_and_for_regression():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 3))
    t = x @ np.array([[1.0], [-2.0], [0.5]])
    model = Sequential(Linear(3, 1, rng=rng))
    h = fit(model, MeanSquaredError(), SGD(0.1), x, t, epochs=30, batch_size=8, rng=rng,
            progress=False)
    assert h.test_loss == [None] * 30 and h.test_acc == [None] * 30
    assert h.train_acc == [None] * 30  # accuracy means nothing for regression
    # linear regression without noise: the weights approach the true ones
    np.testing.assert_allclose(model[0].params["W"].ravel(), [1.0, -2.0, 0.5], atol=1e-3)


def test_fit_accepts_one_hot_targets(moons):
    x, t, rng = moons
    model = mlp([2, 8, 2], "tanh", rng=rng)
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, one_hot(t, 2), epochs=2, batch_size=16,
            rng=rng, progress=False)
    assert h.train_acc[-1] == accuracy(model, x, t)


@pytest.mark.parametrize("batch_size", [7, 60, 100])
def test_fit_takes_exactly_the_steps_of_a_loop_over_minibatches(moons, batch_size):
    # fit's epoch must be: for each mini-batch of minibatches(x, t, batch_size, rng), forward,
    # loss, backward, update, with the same shuffling.
    x, t, _ = moons
    models = [mlp([2, 6, 2], "relu", rng=np.random.default_rng(5)) for _ in range(2)]
    opts = [Adam(0.05), Adam(0.05)]
    fit(models[0], SoftmaxCrossEntropy(), opts[0], x, t, epochs=2, batch_size=batch_size,
        rng=np.random.default_rng(9), progress=False)
    rng, loss = np.random.default_rng(9), SoftmaxCrossEntropy()
    for _ in range(2):
        for xb, tb in minibatches(x, t, batch_size, rng):
            loss.forward(models[1].forward(xb), tb)
            models[1].backward(loss.backward())
            opts[1].update(models[1].params, models[1].grads)
    assert opts[0].t == opts[1].t == 2 * math.ceil(60 / batch_size)
    for k, v in models[0].params.items():
        np.testing.assert_allclose(v, models[1].params[k], rtol=1e-12, atol=1e-15)


def test_fit_is_reproducible_from_the_seed(moons):
    x, t, _ = moons

    def run():
        rng = np.random.default_rng(5)
        model = mlp([2, 6, 2], "relu", rng=rng)
        fit(model, SoftmaxCrossEntropy(), SGD(0.1), x, t, epochs=2, batch_size=7, rng=rng,
            progress=False)
        return model.params["0.W"]

    np.testing.assert_array_equal(run(), run())


def _bad_fit_inputs():
    x = np.random.default_rng(0).standard_normal((6, 2))
    t = np.array([0, 1, 0, 1, 0, 1])
    x_nan = x.copy()
    x_nan[2, 1] = np.nan
    return [
        ("nan", dict(x_train=x_nan, t_train=t), ValueError,
         r"fit: expected finite values in x_train, got 1 NaN and 0 inf among 12 entries"),
        ("labels", dict(x_train=x, t_train=np.array([0, 1, 2, 1, 0, 1])), ValueError,
         r"fit: expected labels in \[0, 2\), got values from 0 to 2"),
        ("uint8", dict(x_train=(x * 100).astype(np.uint8), t_train=t), TypeError,
         r"fit: expected x_train as floating point \(float32 or float64\), got dtype uint8; "
         r"convert it first, e.g. x_train.astype\(np.float32\) / 255 for 8-bit images"),
        ("empty", dict(x_train=x[:0], t_train=t[:0]), ValueError,
         r"fit: expected at least one sample in x_train, got an empty batch of shape \(0, 2\)"),
        ("features", dict(x_train=np.ones((6, 3)), t_train=t), ValueError,
         r"fit: the model expects 2 features per sample, x_train has 3"),
        ("count", dict(x_train=x, t_train=t[:5]), ValueError,
         r"fit: x_train has 6 samples but t_train has 5"),
        ("epochs", dict(x_train=x, t_train=t, epochs=0), ValueError,
         r"fit: expected a positive integer epochs, got 0"),
        ("test_half", dict(x_train=x, t_train=t, x_test=x), ValueError,
         r"fit: give both x_test and t_test, or neither"),
        ("test_labels", dict(x_train=x, t_train=t, x_test=x, t_test=t + 5), ValueError,
         r"fit: expected labels in \[0, 2\), got values from 5 to 6"),
        ("batch", dict(x_train=x, t_train=t, batch_size=0), ValueError,
         r"minibatches: expected a positive integer batch_size, got 0"),
    ]


@pytest.mark.parametrize("name, kwargs, exc, message", _bad_fit_inputs(),
                         ids=[b[0] for b in _bad_fit_inputs()])
def test_fit_rejects_bad_input_and_changes_nothing(name, kwargs, exc, message):
    rng = np.random.default_rng(0)
    model = mlp([2, 4, 2], "relu", rng=rng)
    before = {k: v.copy() for k, v in model.params.items()}
    opt = Adam(0.1)
    args = dict(epochs=2, batch_size=3, rng=rng, progress=False) | kwargs
    with pytest.raises(exc, match=message):
        fit(model, SoftmaxCrossEntropy(), opt, **args)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])
    assert opt.t == 0 and opt.m == {}


class RecordingSGD(SGD):
    """SGD that counts its updates and keeps a copy of the parameters after each epoch."""

    def _apply(self, params, grads):
        super()._apply(params, grads)
        self.steps = getattr(self, "steps", 0) + 1


def test_fit_stops_on_divergence_and_restores_the_last_finished_epoch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3))
    t = x @ np.array([[1.0], [2.0], [-1.0]])
    model = Sequential(Linear(3, 1, rng=rng))
    opt = RecordingSGD(lr=1.0)  # too large (MSE gradient 2(y - t)/N): the error grows each step
    ends = []
    with pytest.raises(FloatingPointError,
                       match=r"fit: training diverged at epoch (\d+), step \d+: the loss "
                             r"exploded to .*, above .* = 1000 x max\(first "
                             r"mini-batch's loss .*, 1\)\. The parameters and the optimizer state were restored "
                             r"to the end of epoch \d+; the finished epochs are in err.history\. "
                             r"Try a smaller learning rate \(now 1\)") as info:
        fit(model, MeanSquaredError(), opt, x, t, epochs=1000, batch_size=8, rng=rng,
            progress=False, callback=lambda e, h: ends.append(
                {k: v.copy() for k, v in model.params.items()}))
    err = info.value
    assert err.epoch > 1 and opt.steps > 4  # it diverged over several steps, not at once
    assert err.history.epoch == list(range(1, err.epoch))  # the finished epochs
    assert len(ends) == err.epoch - 1
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, ends[-1][k])  # the end of the last finished epoch


def test_fit_stops_at_the_first_step_with_parameters_untouched():
    # Inputs so large that the first loss overflows to inf: nothing may be updated.
    x = np.full((4, 1), 1e160)
    t = np.zeros((4, 1))
    model = Sequential(Linear.from_weights([[1.0]], [0.0]))
    with pytest.raises(FloatingPointError, match=r"at epoch 1, step 1: the loss became inf\. "
                                                 r".*restored to their values before training"):
        fit(model, MeanSquaredError(), SGD(0.1), x, t, epochs=1, batch_size=4,
            rng=np.random.default_rng(0), progress=False)
    np.testing.assert_array_equal(model[0].params["W"], [[1.0]])
    np.testing.assert_array_equal(model[0].params["b"], [0.0])


# Metrics, on a model that returns its input as scores (identity weights)

def identity_model():
    return Sequential(Linear.from_weights(np.eye(2)))


X4 = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
T4 = np.array([0, 0, 0, 1])


def test_accuracy_worked_example():
    # predicted classes argmax(x) = (0, 1, 0, 1); true (0, 0, 0, 1): 3 of 4 right
    assert accuracy(identity_model(), X4, T4) == 0.75
    assert accuracy(identity_model(), X4, one_hot(T4, 2)) == 0.75


def test_evaluate_worked_example():
    # -log softmax of the true class: log(1 + e^(other - true)) per sample
    #   (1, 0) true 0: log(1 + e^-1);  (0, 1) true 0: log(1 + e^1)
    #   (2, 1) true 0: log(1 + e^-1);  (0, 3) true 1: log(1 + e^-3)
    expected = (2 * math.log1p(math.exp(-1)) + math.log1p(math.exp(1))
                + math.log1p(math.exp(-3))) / 4
    loss_value, acc = evaluate(identity_model(), SoftmaxCrossEntropy(), X4, T4)
    assert loss_value == pytest.approx(expected, rel=1e-14)
    assert acc == 0.75
    # in chunks of 3 (3 + 1 samples) the weighted mean is the same
    chunked = evaluate(identity_model(), SoftmaxCrossEntropy(), X4, T4, batch_size=3)
    assert chunked[0] == pytest.approx(expected, rel=1e-14) and chunked[1] == 0.75
    # regression: no accuracy; 1/2 ||y - t||^2 averaged = 1/2 (1 + 1 + 5 + 9) / 4 = 2
    assert evaluate(identity_model(), MeanSquaredError(), X4, np.zeros((4, 2))) == (2.0, None)


def test_confusion_matrix_worked_example():
    t = np.array([0, 0, 1, 1, 2, 2])
    y = np.array([0, 1, 1, 1, 2, 0])
    cm = confusion_matrix(t, y)
    # rows: true class, columns: predicted class
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    assert cm.sum() == 6 and np.trace(cm) == 4  # 4 of 6 right
    assert confusion_matrix(np.array([0]), np.array([0]), 3).shape == (3, 3)


def test_confusion_matrix_errors():
    with pytest.raises(ValueError, match=r"confusion_matrix: expected t and y of equal length, "
                                         r"got 3 and 2"):
        confusion_matrix(np.array([0, 1, 1]), np.array([0, 1]))
    with pytest.raises(ValueError, match=r"confusion_matrix: expected labels in \[0, 2\), got "
                                         r"values from 0 to 2"):
        confusion_matrix(np.array([0, 2]), np.array([0, 1]), 2)


def test_progress_default_follows_the_environment(monkeypatch):
    monkeypatch.delenv("NNLIB_PROGRESS", raising=False)
    monkeypatch.setenv("CI", "true")
    assert progress_default() is False
    monkeypatch.setenv("CI", "")
    assert progress_default() is True
    monkeypatch.setenv("NNLIB_PROGRESS", "0")
    assert progress_default() is False


# End to end

def test_a_small_network_learns_xor():
    x, t = logic_gate("XOR")
    rng = np.random.default_rng(0)
    model = mlp([2, 8, 2], "tanh", rng=rng)
    start = time.perf_counter()
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, t, epochs=200, batch_size=4, rng=rng,
            progress=False)
    assert time.perf_counter() - start < 2.0
    np.testing.assert_array_equal(SoftmaxCrossEntropy.predict(model.predict(x)), [0, 1, 1, 0])
    assert h.train_acc[-1] == 1.0
    assert h.train_loss[-1] < 0.01


def test_a_linear_model_cannot_learn_xor():
    # the contrast of chapter 3: without a hidden layer XOR is not linearly separable
    x, t = logic_gate("XOR")
    rng = np.random.default_rng(0)
    model = Sequential(Linear(2, 2, rng=rng))
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, t, epochs=200, batch_size=4, rng=rng,
            progress=False)
    assert h.train_acc[-1] <= 0.75


def test_fit_reports_divergence_itself_without_overflow_warnings():
    # No np.errstate here: fit must turn a blow-up into its own FloatingPointError
    # (pyproject makes nnlib RuntimeWarnings errors, so a stray overflow warning fails).
    rng = np.random.default_rng(0)
    x, t = make_xor(100, rng=rng)
    model = mlp([2, 8, 2], "relu", rng=rng)
    with pytest.raises(FloatingPointError, match=r"epoch \d+, step \d+.*smaller learning rate"):
        fit(model, SoftmaxCrossEntropy(), SGD(1e6), x * 1e3, t, epochs=3, batch_size=10,
            rng=rng, progress=False)
    for name, p in model.params.items():
        assert np.isfinite(p).all(), name


def test_softmax_cross_entropy_accepts_a_list_of_labels():
    y = np.zeros((2, 3))
    # uniform scores: the loss is log 3 for every sample
    assert SoftmaxCrossEntropy().forward(y, [0, 2]) == pytest.approx(np.log(3))


# Validation data, eval_train subsets, early stopping, schedules, dropout mode

def test_fit_records_validation_metrics(moons):
    x, t, rng = moons
    model = mlp([2, 8, 2], "tanh", rng=rng)
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x[:40], t[:40], epochs=3, batch_size=16,
            rng=rng, x_val=x[40:], t_val=t[40:], x_test=x[:5], t_test=t[:5], progress=False)
    assert len(h.val_loss) == len(h.val_acc) == 3
    assert h.val_loss[-1] == pytest.approx(evaluate(model, SoftmaxCrossEntropy(), x[40:], t[40:])[0])
    assert h.test_loss[-1] == pytest.approx(evaluate(model, SoftmaxCrossEntropy(), x[:5], t[:5])[0])
    assert h.best_epoch == 1 + int(np.argmin(h.val_loss)) and h.stopped_epoch is None
    assert h.lr == [0.05, 0.05, 0.05]


def test_eval_train_on_a_fixed_subset_of_the_first_k_samples(moons):
    x, t, rng = moons
    model = mlp([2, 8, 2], "tanh", rng=rng)
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, t, epochs=2, batch_size=16, rng=rng,
            eval_train=25, progress=False)
    assert h.train_loss[-1] == pytest.approx(evaluate(model, SoftmaxCrossEntropy(), x[:25], t[:25])[0])
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, t, epochs=1, batch_size=16, rng=rng,
            eval_train=False, progress=False)
    assert h.train_loss == [None] and h.train_acc == [None]


def test_early_stopping_restores_the_best_epoch():
    rng = np.random.default_rng(0)
    # a wide network on few noisy samples overfits: the validation loss rises again
    x, t = make_moons(40, noise=0.4, rng=rng)
    xv, tv = make_moons(200, noise=0.4, rng=rng)
    model = mlp([2, 64, 64, 2], rng=rng)
    snaps = []
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.05), x, t, epochs=200, batch_size=8, rng=rng,
            x_val=xv, t_val=tv, early_stopping=5, progress=False,
            callback=lambda e, hist: snaps.append({k: v.copy() for k, v in model.params.items()}))
    assert h.stopped_epoch is not None and h.stopped_epoch < 200
    assert h.stopped_epoch == h.best_epoch + 5 == len(h.epoch)
    assert h.val_loss[h.best_epoch - 1] == min(h.val_loss)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, snaps[h.best_epoch - 1][k])


def test_lr_schedule_sets_the_rate_of_every_epoch(moons):
    from nnlib import StepDecay

    x, t, rng = moons
    opt = SGD(1.0)
    h = fit(mlp([2, 4, 2], rng=rng), SoftmaxCrossEntropy(), opt, x, t, epochs=5, batch_size=30,
            rng=rng, lr_schedule=StepDecay(0.4, drop=0.5, every=2), progress=False)
    assert h.lr == [0.4, 0.4, 0.2, 0.2, 0.1]
    assert opt.lr == 0.1


def test_fit_trains_with_dropout_on_and_evaluates_with_it_off(moons):
    from nnlib import Dropout

    x, t, rng = moons
    model = Sequential(Linear(2, 16, rng=rng), ReLU(), Dropout(0.5, rng=rng), Linear(16, 2, rng=rng))
    model.eval()
    h = fit(model, SoftmaxCrossEntropy(), Adam(0.02), x, t, epochs=2, batch_size=20, rng=rng,
            progress=False)
    assert model[2].training is False  # the mode from before fit is restored
    # the recorded training loss is the deterministic (evaluation-mode) loss
    assert h.train_loss[-1] == evaluate(model, SoftmaxCrossEntropy(), x, t)[0]


def test_fit_raises_for_the_wine_example_of_issue_10():
    from nnlib import load_wine, standardize

    x, t = load_wine()
    xs = standardize(x)
    xs = xs[0] if isinstance(xs, tuple) else xs
    rng = np.random.default_rng(0)
    model = mlp([13, 32, 32, 3], rng=rng)
    before = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(FloatingPointError, match=r"fit: training diverged at epoch 1, step \d+: "
                                                 r".*Try a smaller learning rate \(now 10\)") as info:
        fit(model, SoftmaxCrossEntropy(), SGD(10), xs, t, epochs=20, batch_size=16, rng=rng,
            progress=False)
    assert info.value.history.epoch == []
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_fit_uses_overridden_forward_and_update_of_subclasses(moons):
    # fit's unchecked fast paths must not bypass a user's own forward / update
    x, t, rng = moons
    calls = {"forward": 0, "loss": 0, "update": 0}

    class MyModel(Sequential):
        def forward(self, x):
            calls["forward"] += 1
            return super().forward(x)

    class MyLoss(SoftmaxCrossEntropy):
        def forward(self, y, t):
            calls["loss"] += 1
            return super().forward(y, t)

    class MySGD(SGD):
        def update(self, params, grads):
            calls["update"] += 1
            super().update(params, grads)

    model = MyModel(Linear(2, 4, rng=rng), ReLU(), Linear(4, 2, rng=rng))
    fit(model, MyLoss(), MySGD(0.1), x, t, epochs=2, batch_size=20, rng=rng, eval_train=False,
        progress=False)
    assert calls == {"forward": 6, "loss": 6, "update": 6}  # 60 samples / 20 = 3 steps x 2


def test_explosion_check_can_be_switched_off():
    # The regression of test_fit_stops_on_divergence...: with lr = 1.0 the loss grows past
    # 1000 x its first value in epoch 4. Without the check, fit goes on until the loss
    # overflows (the NaN/inf check always stays on).
    def run(**kw):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((32, 3))
        t = x @ np.array([[1.0], [2.0], [-1.0]])
        return fit(Sequential(Linear(3, 1, rng=rng)), MeanSquaredError(), SGD(1.0), x, t,
                   epochs=1000, batch_size=8, rng=rng, progress=False, **kw)

    with pytest.raises(FloatingPointError, match=r"epoch 4, step 3: the loss exploded") as info:
        run()
    assert info.value.epoch == 4
    with pytest.raises(FloatingPointError, match=r"the loss became inf|network output became") as info:
        run(explosion_factor=None)
    assert info.value.epoch > 4  # it ran on past the point where the default check stops
