"""Small input checks shared by the modules; every message names who complains,
what was expected and what came."""

from __future__ import annotations

from .backend import get_array_module


def check_ndim(who: str, name: str, x, ndims) -> None:
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if not hasattr(x, "ndim"):
        raise TypeError(f"{who}: expected {name} to be an array, got {type(x).__name__}")
    if x.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise ValueError(f"{who}: expected {name} to be {want}, got shape {tuple(x.shape)}")


def check_float(who: str, name: str, x) -> None:
    if x.dtype.kind != "f":
        raise TypeError(
            f"{who}: expected {name} as floating point (float32 or float64), got dtype {x.dtype}; "
            f"convert it first, e.g. {name}.astype(np.float32) / 255 for 8-bit images"
        )


def check_finite(who: str, name: str, x) -> None:
    xp = get_array_module(x)
    if x.dtype.kind in "fc" and not bool(xp.isfinite(x).all()):
        n_nan = int(xp.isnan(x).sum())
        n_inf = int(xp.isinf(x).sum())
        raise ValueError(
            f"{who}: expected finite values in {name}, got {n_nan} NaN and {n_inf} inf "
            f"among {x.size} entries"
        )


def check_nonempty(who: str, name: str, x) -> None:
    if x.shape[0] == 0:
        raise ValueError(f"{who}: expected at least one sample in {name}, got an empty batch "
                         f"of shape {tuple(x.shape)}")


def check_labels(who: str, t, n_classes: int) -> None:
    """Integer labels in [0, n_classes)."""
    if t.dtype.kind not in "iu":
        if t.dtype.kind == "f" and t.size and bool((t == t.round()).all()):
            raise TypeError(f"{who}: expected integer class labels, got dtype {t.dtype}; "
                            "use t.astype(int)")
        raise TypeError(f"{who}: expected integer class labels, got dtype {t.dtype}")
    if t.size:
        lo, hi = int(t.min()), int(t.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(f"{who}: expected labels in [0, {n_classes}), got values from "
                             f"{lo} to {hi}")


def all_finite(x) -> bool:
    """True when the float array ``x`` has no NaN or inf, tested by one cheap reduction.

    ``vdot(x, x)``, the sum of squares, is NaN or inf as soon as one entry is; it is a
    single BLAS call that reads ``x`` once and builds no temporary array, several times
    faster than ``isfinite(x).all()`` or ``x.sum()`` for the arrays of a training step.
    The sum can also overflow from large finite values (|x| above about 1e19 in float32);
    only then the exact, slower test decides, so the answer is always right.
    """
    xp = get_array_module(x)
    if x.size == 0:
        return True
    return bool(xp.isfinite(xp.vdot(x, x))) or bool(xp.isfinite(x).all())
