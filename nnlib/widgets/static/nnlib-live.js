/* nnlib-live.js: the live explorers of the book, drawn in the browser.
 *
 * One classic script (no modules, no libraries) so that it runs from file:// as well as from
 * a server. The data come from nnlib: every explorer's notebook output carries a payload
 * (application/vnd.nnlib.live+json) with the data sets, weights and constants; this file
 * mirrors nnlib's formulas and training loop, and tools/explorer_check.py proves in a real
 * browser that the numbers equal nnlib's.
 *
 * In the HTML book: <div class="nnlib-live"> elements hold the payload in a
 * <script type="application/json"> child and are rendered when the page loads.
 * In JupyterLab: the anywidget module is this file plus an `export default` that calls
 * NNLibLive.render (see nnlib/widgets/_base.py).
 */
var NNLibLive = (function () {
  "use strict";

  // ---------------------------------------------------------------------------------------
  // Decoding the payload
  // ---------------------------------------------------------------------------------------
  function bytes(b64) {
    var bin = atob(b64), u = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
    return u;
  }
  function decode(b64, dtype) {
    var buf = bytes(b64).buffer; // little-endian, as every browser platform
    if (dtype === "float64") return new Float64Array(buf);
    if (dtype === "float32") return Float64Array.from(new Float32Array(buf));
    if (dtype === "int8") return new Int8Array(buf);
    if (dtype === "uint8") return new Uint8Array(buf);
    throw new Error("nnlib-live: unknown dtype " + dtype);
  }

  // ---------------------------------------------------------------------------------------
  // Formulas (mirrors of nnlib; same operations in the same order where it matters)
  // ---------------------------------------------------------------------------------------
  /** nnlib.functions.sigmoid: 1 / (1 + exp(-z)) computed without overflow, z = gain x. */
  function sigmoid(x, gain) {
    var z = (gain === undefined ? 1 : gain) * x;
    var e = Math.exp(-Math.abs(z));
    return z >= 0 ? 1 / (1 + e) : e / (1 + e);
  }
  /** erfc(x) for x >= 0: continued fraction for large x, series for small x. */
  function erfcPos(x) {
    if (x < 2.5) return 1 - erfSeries(x);
    // Lentz's algorithm for erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
    var tiny = 1e-300, f = x, C = x, D = 0, i, a, delta;
    for (i = 1; i < 300; i++) {
      a = i / 2;
      D = x + a * D; if (D === 0) D = tiny; D = 1 / D;
      C = x + a / C; if (C === 0) C = tiny;
      delta = C * D; f *= delta;
      if (Math.abs(delta - 1) < 1e-17) break;
    }
    return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
  }
  /** erf(x) for x >= 0 by the series 2/sqrt(pi) exp(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)). */
  function erfSeries(x) {
    var term = x, sum = x, x2 = 2 * x * x;
    for (var n = 1; n < 500; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
  }
  function erf(x) {
    if (x < 0) return -erf(-x);
    return x < 0.5 ? erfSeries(x) : 1 - erfcPos(x);
  }
  var LOGE2 = 0.6931471805599453;
  function logaddexp0(x) { // numpy.logaddexp(0, x)
    if (x === 0) return LOGE2;
    var tmp = -x;
    return tmp > 0 ? Math.log1p(Math.exp(-tmp)) : x + Math.log1p(Math.exp(tmp));
  }
  var SQRT2 = Math.sqrt(2), SQRT_2PI = Math.sqrt(2 * Math.PI);

  /** f(x) and f'(x) of nnlib.activations (element-wise), parameter p (gain, alpha or beta). */
  function activation(name, p, x) {
    var y, d, s, t;
    switch (name) {
      case "identity": return [x, 1];
      case "step": return [x > 0 ? 1 : 0, 0];
      case "sigmoid": y = sigmoid(x, p); return [y, p * y * (1 - y)];
      case "tanh": t = Math.tanh(x); return [t, 1 - t * t];
      case "hard_sigmoid": return [Math.min(Math.max(0.25 * x + 0.5, 0), 1), (x > -2 && x < 2) ? 0.25 : 0];
      case "hard_tanh": return [Math.min(Math.max(x, -1), 1), (x > -1 && x < 1) ? 1 : 0];
      case "relu": return [Math.max(x, 0), x > 0 ? 1 : 0];
      case "leaky_relu":
      case "prelu": return [x > 0 ? x : p * x, x > 0 ? 1 : p];
      case "elu": return [x > 0 ? x : p * Math.expm1(Math.min(x, 0)), x > 0 ? 1 : p * Math.exp(Math.min(x, 0))];
      case "softplus": return [logaddexp0(x), sigmoid(x, 1)];
      case "swish": s = sigmoid(p * x, 1); return [x * s, s + p * x * s * (1 - s)];
      case "gelu":
        var cdf = 0.5 * (1 + erf(x / SQRT2));
        return [0.5 * x * (1 + erf(x / SQRT2)), cdf + x * (Math.exp(-0.5 * (x * x)) / SQRT_2PI)];
      default: throw new Error("nnlib-live: unknown activation " + name);
    }
  }
  function linspace(a, b, n) {
    var out = new Float64Array(n), step = n > 1 ? (b - a) / (n - 1) : 0;
    for (var i = 0; i < n; i++) out[i] = i * step + a;
    if (n > 1) out[n - 1] = b;
    return out;
  }
  /** Maxout of the explorer: k tangents of x^2/4 at linspace(-4, 4, k); value and slope. */
  function maxoutPieces(k) {
    var c = k === 1 ? new Float64Array([0]) : linspace(-4, 4, k), sl = [], ic = [];
    for (var i = 0; i < k; i++) { sl.push(c[i] / 2); ic.push(-(c[i] * c[i]) / 4); }
    return [sl, ic];
  }
  function activationCurve(name, value, xs) {
    var n = xs.length, y = new Float64Array(n), dy = new Float64Array(n), i;
    if (name === "maxout") {
      var pc = maxoutPieces(value | 0), sl = pc[0], ic = pc[1];
      for (i = 0; i < n; i++) {
        var best = -Infinity, arg = 0;
        for (var j = 0; j < sl.length; j++) {
          var v = xs[i] * sl[j] + ic[j];
          if (v > best) { best = v; arg = j; }
        }
        y[i] = best; dy[i] = sl[arg];
      }
    } else {
      for (i = 0; i < n; i++) { var r = activation(name, value, xs[i]); y[i] = r[0]; dy[i] = r[1]; }
    }
    return { y: y, dy: dy };
  }

  /** nnlib.widgets.descent.gradient_descent on L(a) = sum (y - a x)^2. */
  function gradientDescent(lr, steps, a0, X, Y, tol) {
    function sum(f) { var s = 0; for (var i = 0; i < X.length; i++) s += f(X[i], Y[i]); return s; }
    function loss(a) { return sum(function (x, y) { var r = y - a * x; return r * r; }); }
    function grad(a) { return -2.0 * sum(function (x, y) { return x * (y - a * x); }); }
    var path = [a0], a = a0, k;
    for (k = 1; k <= steps; k++) { a = a - lr * grad(a); path.push(a); }
    var sxx = sum(function (x) { return x * x; });
    var aStar = sum(function (x, y) { return x * y; }) / sxx;
    var err0 = Math.abs(path[0] - aStar), err = Math.abs(path[steps] - aStar);
    var r = 1.0 - 2.0 * lr * sxx;
    return { path: path, losses: path.map(loss), a_star: aStar, critical_rate: 1.0 / sxx,
      contraction: r, converged: err < tol, diverged: err > err0, oscillating: r < 0, loss: loss };
  }

  // ---- a small dense network (Linear + element-wise activations), float64 ------------------
  function Dense(W, b, nin, nout) { this.W = W; this.b = b; this.nin = nin; this.nout = nout; }
  /** u = x W + b for a batch x (rows of length nin). */
  Dense.prototype.forward = function (x, n) {
    var nin = this.nin, nout = this.nout, W = this.W, b = this.b, u = new Float64Array(n * nout);
    for (var r = 0; r < n; r++) {
      for (var j = 0; j < nout; j++) {
        var s = 0;
        for (var i = 0; i < nin; i++) s += x[r * nin + i] * W[i * nout + j];
        u[r * nout + j] = s + b[j];
      }
    }
    this.x = x; this.n = n;
    return u;
  };
  /** dW = x^T dout, db = sum over rows of dout; returns dout W^T. */
  Dense.prototype.backward = function (dout) {
    var nin = this.nin, nout = this.nout, n = this.n, x = this.x, W = this.W;
    var dW = new Float64Array(nin * nout), db = new Float64Array(nout), dx = new Float64Array(n * nin), r, i, j;
    for (r = 0; r < n; r++) {
      for (i = 0; i < nin; i++) {
        var xi = x[r * nin + i];
        for (j = 0; j < nout; j++) dW[i * nout + j] += xi * dout[r * nout + j];
      }
      for (j = 0; j < nout; j++) db[j] += dout[r * nout + j];
      for (i = 0; i < nin; i++) {
        var s = 0;
        for (j = 0; j < nout; j++) s += dout[r * nout + j] * W[i * nout + j];
        dx[r * nin + i] = s;
      }
    }
    this.dW = dW; this.db = db;
    return dx;
  };
  function Act(name, gain) { this.name = name; this.gain = gain; }
  Act.prototype.forward = function (x) {
    var y = new Float64Array(x.length), i;
    if (this.name === "sigmoid") {       // nnlib's Sigmoid layer: 1 / (1 + exp(-a x))
      for (i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(x[i] * -this.gain));
    } else if (this.name === "relu") {
      for (i = 0; i < x.length; i++) y[i] = x[i] > 0 ? x[i] : 0;
    } else if (this.name === "tanh") {
      for (i = 0; i < x.length; i++) y[i] = Math.tanh(x[i]);
    } else if (this.name === "identity") {
      y.set(x);
    } else {
      for (i = 0; i < x.length; i++) y[i] = activation(this.name, this.gain, x[i])[0];
    }
    this.x = x; this.y = y;
    return y;
  };
  Act.prototype.backward = function (dout) {
    var dx = new Float64Array(dout.length), x = this.x, y = this.y, i;
    for (i = 0; i < dout.length; i++) {
      var d;
      if (this.name === "sigmoid") d = this.gain === 1 ? y[i] * (1 - y[i]) : this.gain * y[i] * (1 - y[i]);
      else if (this.name === "relu") d = x[i] > 0 ? 1 : 0;
      else if (this.name === "tanh") { var t = Math.tanh(x[i]); d = 1 - t * t; }
      else d = activation(this.name, this.gain, x[i])[1];
      dx[i] = dout[i] * d;
    }
    return dx;
  };
  function Net(layers) { this.layers = layers; }
  Net.prototype.forward = function (x, n) {
    var h = x;
    for (var i = 0; i < this.layers.length; i++) h = this.layers[i] instanceof Dense ? this.layers[i].forward(h, n) : this.layers[i].forward(h);
    return h;
  };
  Net.prototype.backward = function (d) {
    for (var i = this.layers.length - 1; i >= 0; i--) d = this.layers[i].backward(d);
    return d;
  };
  /** nnlib.losses.SoftmaxCrossEntropy with integer labels: loss, and (softmax - T) / N. */
  function softmaxCE(y, t, n, c, wantGrad) {
    var logS = 0, zt = 0, grad = wantGrad ? new Float64Array(n * c) : null;
    for (var r = 0; r < n; r++) {
      var mx = -Infinity, j;
      for (j = 0; j < c; j++) mx = Math.max(mx, y[r * c + j]);
      var s = 0, z = new Float64Array(c);
      for (j = 0; j < c; j++) { z[j] = y[r * c + j] - mx; s += Math.exp(z[j]); }
      logS += Math.log(s); zt += z[t[r]];
      if (wantGrad) {
        for (j = 0; j < c; j++) grad[r * c + j] = Math.exp(z[j]) / s;
        grad[r * c + t[r]] -= 1;
        for (j = 0; j < c; j++) grad[r * c + j] /= n;
      }
    }
    return { loss: (logS - zt) / n, grad: grad };
  }
  function softmaxRow(s) {
    var mx = -Infinity, i, out = new Float64Array(s.length), sum = 0;
    for (i = 0; i < s.length; i++) mx = Math.max(mx, s[i]);
    for (i = 0; i < s.length; i++) { out[i] = Math.exp(s[i] - mx); sum += out[i]; }
    for (i = 0; i < s.length; i++) out[i] /= sum;
    return out;
  }

  // ---- optimizers (nnlib.optimizers) --------------------------------------------------------
  function makeOptimizer(kind, lr, pl) {
    var state = {}, t = 0;
    return function (params) { // params: list of [array, grad] pairs, updated in place
      if (kind === "adam") t += 1;
      for (var k = 0; k < params.length; k++) {
        var p = params[k][0], g = params[k][1], i;
        if (kind === "sgd") {
          for (i = 0; i < p.length; i++) p[i] -= g[i] * lr;
        } else if (kind === "momentum") {
          var v = state[k] || (state[k] = new Float64Array(p.length)), mom = pl.momentum;
          for (i = 0; i < p.length; i++) { v[i] *= mom; v[i] -= g[i] * lr; p[i] += v[i]; }
        } else {
          var b1 = pl.adam.beta1, b2 = pl.adam.beta2, eps = pl.adam.eps;
          var st = state[k] || (state[k] = { m: new Float64Array(p.length), v: new Float64Array(p.length) });
          var c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t), m = st.m, vv = st.v;
          for (i = 0; i < p.length; i++) {
            m[i] *= b1; m[i] += g[i] * (1 - b1);
            vv[i] *= b2; vv[i] += (g[i] * g[i]) * (1 - b2);
            var a = m[i] * (lr / c1), bb = Math.sqrt(vv[i] / c2) + eps;
            p[i] -= a / bb;
          }
        }
      }
    };
  }

  // ---- the playground: same initial weights, batch order and steps as nnlib ------------------
  /** nnlib.widgets.playground.BatchOrder: xorshift32 + Fisher-Yates. */
  function BatchOrder(seed) { this.s = Number((BigInt(seed + 1) * 2654435761n) % 4294967296n) || 1; }
  BatchOrder.prototype.next = function () {
    var x = this.s;
    x = (x ^ (x << 13)) >>> 0; x = (x ^ (x >>> 17)) >>> 0; x = (x ^ (x << 5)) >>> 0;
    this.s = x; return x;
  };
  BatchOrder.prototype.permutation = function (n) {
    var p = [], i;
    for (i = 0; i < n; i++) p.push(i);
    for (i = n - 1; i > 0; i--) { var j = this.next() % (i + 1), tmp = p[i]; p[i] = p[j]; p[j] = tmp; }
    return p;
  };
  function Trainer(pl, v) {
    var ds = pl.datasets[v.dataset];
    this.pl = pl; this.v = v; this.n = pl.n;
    this.x = ds._x || (ds._x = decode(ds.x, "float64"));
    this.t = ds._t || (ds._t = decode(ds.t, "uint8"));
    var z = pl._normals[v.seed] || (pl._normals[v.seed] = decode(pl.normals[String(v.seed)], "float32"));
    var sizes = [2], i, o = 0, layers = [];
    for (i = 0; i < v.layers; i++) sizes.push(v.hidden);
    sizes.push(2);
    var he = ["relu", "leaky_relu", "prelu", "elu"].indexOf(v.activation) >= 0;
    for (i = 0; i + 1 < sizes.length; i++) {
      var a = sizes[i], b = sizes[i + 1], scale = he ? Math.sqrt(2.0 / a) : Math.sqrt(2.0 / (a + b));
      var W = new Float64Array(a * b);
      for (var k = 0; k < a * b; k++) W[k] = scale * z[o + k];
      o += a * b;
      layers.push(new Dense(W, new Float64Array(b), a, b));
      if (i < sizes.length - 2) layers.push(new Act(v.activation, 1));
    }
    this.net = new Net(layers);
    this.order = new BatchOrder(v.seed);
    this.opt = makeOptimizer(v.optimizer, v.lr, pl);
    this.perm = null; this.pos = 0; this.step = 0;
    this.history = [[0, this.loss()]];
  }
  Trainer.prototype.loss = function () {
    return softmaxCE(this.net.forward(this.x, this.n), this.t, this.n, 2, false).loss;
  };
  Trainer.prototype.trainStep = function () {
    var bs = this.v.batch_size, n = this.n;
    if (this.perm === null || this.pos >= n) { this.perm = this.order.permutation(n); this.pos = 0; }
    var idx = this.perm.slice(this.pos, this.pos + bs), m = idx.length;
    this.pos += bs;
    var xb = new Float64Array(m * 2), tb = new Uint8Array(m);
    for (var r = 0; r < m; r++) { xb[2 * r] = this.x[2 * idx[r]]; xb[2 * r + 1] = this.x[2 * idx[r] + 1]; tb[r] = this.t[idx[r]]; }
    var out = this.net.forward(xb, m);
    this.net.backward(softmaxCE(out, tb, m, 2, true).grad);
    var params = [];
    this.net.layers.forEach(function (l) { if (l instanceof Dense) { params.push([l.W, l.dW]); params.push([l.b, l.db]); } });
    this.opt(params);
    this.step += 1;
  };
  Trainer.prototype.accuracy = function () {
    var s = this.net.forward(this.x, this.n), ok = 0;
    for (var r = 0; r < this.n; r++) if ((s[2 * r + 1] > s[2 * r] ? 1 : 0) === this.t[r]) ok++;
    return ok / this.n;
  };
  Trainer.prototype.grid = function () {
    var res = this.pl.resolution, m = this.pl.margin, x = this.x, n = this.n;
    var lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
    for (var r = 0; r < n; r++) for (var c = 0; c < 2; c++) { lo[c] = Math.min(lo[c], x[2 * r + c]); hi[c] = Math.max(hi[c], x[2 * r + c]); }
    var xl = [lo[0] - m, hi[0] + m], yl = [lo[1] - m, hi[1] + m];
    var gx = linspace(xl[0], xl[1], res), gy = linspace(yl[0], yl[1], res), pts = new Float64Array(res * res * 2);
    for (var i = 0; i < res; i++) for (var j = 0; j < res; j++) { pts[2 * (i * res + j)] = gx[j]; pts[2 * (i * res + j) + 1] = gy[i]; }
    var s = this.net.forward(pts, res * res), proba = new Float64Array(res * res);
    for (var k = 0; k < res * res; k++) {
      var mx = Math.max(s[2 * k], s[2 * k + 1]), e0 = Math.exp(s[2 * k] - mx), e1 = Math.exp(s[2 * k + 1] - mx);
      proba[k] = e1 / (e0 + e1);
    }
    return { proba: proba, res: res, xlim: xl, ylim: yl };
  };
  /** nnlib's train_playground: losses at steps 0, k, 2k, ..., steps with k = max(1, steps // 100). */
  function trainPlayground(pl, v, steps) {
    pl._normals = pl._normals || {};
    var tr = new Trainer(pl, v), every = Math.max(1, Math.floor(steps / 100)), st = [0], h = [tr.history[0][1]];
    while (tr.step < steps) {
      tr.trainStep();
      if (tr.step % every === 0 || tr.step === steps) { st.push(tr.step); h.push(tr.loss()); }
    }
    return { loss_steps: st, loss_history: h, accuracy: tr.accuracy(), trainer: tr };
  }

  // ---- digits ---------------------------------------------------------------------------
  function digitNet(spec) {
    var layers = spec.map(function (l) {
      if (l.type === "linear") {
        var W = decode(l.W, l.dtype), b = decode(l.b, l.bdtype || l.dtype);
        if (l.scale !== undefined) W = Float64Array.from(W, function (q) { return q * l.scale; });
        return new Dense(W, b, l.shape[0], l.shape[1]);
      }
      return new Act(l.type, l.gain === undefined ? 1 : l.gain);
    });
    return new Net(layers);
  }
  function digitProbabilities(net, img) {
    return softmaxRow(net.forward(img, 1));
  }
  /** MNIST-like preprocessing (nnlib.widgets.digits.preprocess_drawing): bounding box,
   * bilinear scaling of the longer side to 20 px, centre of mass at the centre of 28x28. */
  function preprocessDrawing(ink, H, Wd, side, box) {
    side = side || 28; box = box || 20;
    var r0 = H, r1 = -1, c0 = Wd, c1 = -1, i, j;
    for (i = 0; i < H; i++) for (j = 0; j < Wd; j++) if (ink[i * Wd + j] > 0) { r0 = Math.min(r0, i); r1 = Math.max(r1, i); c0 = Math.min(c0, j); c1 = Math.max(c1, j); }
    var out = new Float64Array(side * side);
    if (r1 < 0) return out;
    var h = r1 - r0 + 1, w = c1 - c0 + 1, s = box / Math.max(h, w);
    var nh = Math.max(1, Math.round(h * s)), nw = Math.max(1, Math.round(w * s)), small = new Float64Array(nh * nw);
    function at(y, x) { return ink[(r0 + y) * Wd + (c0 + x)]; }
    var tot = 0, sy = 0, sx = 0;
    for (i = 0; i < nh; i++) {
      var ys = (i + 0.5) / s - 0.5, y0 = Math.min(Math.max(Math.floor(ys), 0), h - 1), y1 = Math.min(y0 + 1, h - 1), fy = Math.min(Math.max(ys - y0, 0), 1);
      for (j = 0; j < nw; j++) {
        var xs = (j + 0.5) / s - 0.5, x0 = Math.min(Math.max(Math.floor(xs), 0), w - 1), x1 = Math.min(x0 + 1, w - 1), fx = Math.min(Math.max(xs - x0, 0), 1);
        var v = at(y0, x0) * (1 - fy) * (1 - fx) + at(y1, x0) * fy * (1 - fx) + at(y0, x1) * (1 - fy) * fx + at(y1, x1) * fy * fx;
        small[i * nw + j] = v; tot += v; sy += v * i; sx += v * j;
      }
    }
    var oy = Math.round(side / 2 - 0.5 - sy / tot), ox = Math.round(side / 2 - 0.5 - sx / tot);
    for (i = 0; i < nh; i++) for (j = 0; j < nw; j++) {
      var r = i + oy, c = j + ox;
      if (r >= 0 && r < side && c >= 0 && c < side) out[r * side + c] = Math.min(Math.max(small[i * nw + j], 0), 1);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // Drawing helpers (canvas; colours from the page so dark mode stays readable)
  // ---------------------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function theme(el) {
    var cs = getComputedStyle(el), dark = document.documentElement.getAttribute("data-theme") === "dark";
    return { fg: cs.color || (dark ? "#ddd" : "#222"), grid: dark ? "rgba(255,255,255,0.15)" : "rgba(0,0,0,0.12)",
      bg: dark ? "#1e1e1e" : "#fff", dark: dark, font: cs.fontFamily || "sans-serif",
      blue: dark ? "#6cb4ff" : "#1f77b4", orange: dark ? "#ffa94d" : "#ff7f0e", red: dark ? "#ff6b6b" : "#d62728",
      green: dark ? "#5fd35f" : "#2ca02c", muted: dark ? "#999" : "#777" };
  }
  /** A canvas that follows its box's width (aspect kept) and the screen's pixel ratio. */
  function Plot(parent, aspect, maxW) {
    this.canvas = h("canvas", { class: "nnlive-canvas" });
    this.aspect = aspect; this.maxW = maxW || 480;
    parent.appendChild(this.canvas);
  }
  Plot.prototype.begin = function (th) {
    var cw = Math.min(this.maxW, Math.max(200, this.canvas.parentNode.clientWidth || this.maxW));
    var W = Math.floor(cw), H = Math.floor(cw * this.aspect), r = window.devicePixelRatio || 1;
    if (this.canvas.width !== W * r || this.canvas.height !== H * r) {
      this.canvas.width = W * r; this.canvas.height = H * r;
      this.canvas.style.width = W + "px"; this.canvas.style.height = H + "px";
    }
    var g = this.canvas.getContext("2d");
    g.setTransform(r, 0, 0, r, 0, 0);
    g.clearRect(0, 0, W, H);
    g.font = "12px " + th.font; g.lineJoin = "round";
    this.W = W; this.H = H; this.g = g; this.th = th;
    return g;
  };
  /** Axes with data limits; returns mapping functions. */
  Plot.prototype.axes = function (xlim, ylim, opt) {
    opt = opt || {};
    var g = this.g, th = this.th, L = 42, R = 8, T = opt.title ? 22 : 8, B = 32;
    var x0 = L, x1 = this.W - R, y0 = this.H - B, y1 = T;
    var logy = !!opt.logy;
    function fy(v) { return logy ? Math.log10(v) : v; }
    var yl = [fy(ylim[0]), fy(ylim[1])];
    var ax = { X: function (v) { return x0 + (v - xlim[0]) / (xlim[1] - xlim[0]) * (x1 - x0); },
      Y: function (v) { return y0 - (fy(v) - yl[0]) / (yl[1] - yl[0]) * (y0 - y1); },
      box: [x0, y1, x1, y0] };
    g.strokeStyle = th.grid; g.lineWidth = 1; g.fillStyle = th.fg;
    g.textAlign = "center"; g.textBaseline = "top";
    (opt.xticks || ticks(xlim[0], xlim[1], 5)).forEach(function (t) {
      var X = ax.X(t); g.beginPath(); g.moveTo(X, y0); g.lineTo(X, y1); g.stroke(); g.fillText(fmt(t), X, y0 + 3);
    });
    g.textAlign = "right"; g.textBaseline = "middle";
    (logy ? logTicks(yl[0], yl[1]) : ticks(ylim[0], ylim[1], 5)).forEach(function (t) {
      var Y = ax.Y(t); g.beginPath(); g.moveTo(x0, Y); g.lineTo(x1, Y); g.stroke(); g.fillText(logy ? "1e" + Math.round(Math.log10(t)) : fmt(t), x0 - 3, Y);
    });
    g.strokeStyle = th.fg; g.strokeRect(x0, y1, x1 - x0, y0 - y1);
    g.textAlign = "center"; g.textBaseline = "bottom";
    if (opt.xlabel) g.fillText(opt.xlabel, (x0 + x1) / 2, this.H - 1);
    if (opt.title) { g.textBaseline = "top"; g.fillText(opt.title, (x0 + x1) / 2, 3); }
    if (opt.ylabel) { g.save(); g.translate(10, (y0 + y1) / 2); g.rotate(-Math.PI / 2); g.textBaseline = "middle"; g.fillText(opt.ylabel, 0, 0); g.restore(); }
    return ax;
  };
  Plot.prototype.clip = function (ax) { var b = ax.box; this.g.save(); this.g.beginPath(); this.g.rect(b[0], b[1], b[2] - b[0], b[3] - b[1]); this.g.clip(); };
  Plot.prototype.line = function (ax, xs, ys, color, width, dash) {
    var g = this.g; this.clip(ax);
    g.strokeStyle = color; g.lineWidth = width || 2; g.setLineDash(dash || []);
    g.beginPath();
    var started = false;
    for (var i = 0; i < xs.length; i++) {
      if (!isFinite(ys[i]) || !isFinite(xs[i])) { started = false; continue; }
      var X = ax.X(xs[i]), Y = ax.Y(ys[i]);
      if (Math.abs(Y) > 1e6 || Math.abs(X) > 1e6) { started = false; continue; }
      if (started) g.lineTo(X, Y); else { g.moveTo(X, Y); started = true; }
    }
    g.stroke(); g.setLineDash([]); g.restore();
  };
  function ticks(a, b, n) {
    var span = b - a; if (!(span > 0)) return [a];
    var step = Math.pow(10, Math.floor(Math.log10(span / n))), err = span / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [], t = Math.ceil(a / step) * step;
    for (; t <= b + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }
  function logTicks(la, lb) { var out = []; for (var e = Math.ceil(la); e <= lb; e++) out.push(Math.pow(10, e)); return out; }
  function fmt(v) { var a = Math.abs(v); return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(0) : String(+v.toPrecision(4)); }
  /** Blue (0) - white (0.5) - red (1), like matplotlib's RdBu_r. */
  function rdbu(p, dark) {
    var a = [33, 102, 172], m = dark ? [60, 60, 60] : [247, 247, 247], c = [178, 24, 43], t, r = [];
    if (p < 0.5) { t = p / 0.5; for (var i = 0; i < 3; i++) r.push(Math.round(a[i] + (m[i] - a[i]) * t)); }
    else { t = (p - 0.5) / 0.5; for (var k = 0; k < 3; k++) r.push(Math.round(m[k] + (c[k] - m[k]) * t)); }
    return r;
  }
  function fmtNum(v, d) { return isFinite(v) ? v.toFixed(d) : String(v); }

  // ---- controls -----------------------------------------------------------------------------
  function slider(key, label, r, value, onInput, fmtv, log) {
    var inp = h("input", { type: "range", "data-key": key, "aria-label": label });
    var lo = log ? r.min : r.min, hi = r.max, st = r.step;
    inp.min = lo; inp.max = hi; inp.step = st;
    inp.value = log ? Math.log(value) / Math.log(r.base) : value;
    var out = h("output", { class: "nnlive-value" }), val = value;
    // the value itself is kept (a log slider snaps its position, not the value it was given)
    function cur() { var v = Number(inp.value); return log ? Math.pow(r.base, v) : v; }
    function show() { out.textContent = fmtv(val); }
    show();
    inp.addEventListener("input", function () { val = cur(); show(); onInput(key, val, "input"); });
    inp.addEventListener("change", function () { val = cur(); onInput(key, val, "change"); });
    var wrap = h("label", { class: "nnlive-control" }, [h("span", { text: label }), inp, out]);
    wrap.set = function (v) { val = v; inp.value = log ? Math.log(v) / Math.log(r.base) : v; show(); };
    wrap.input = inp;
    return wrap;
  }
  function select(key, label, options, value, onInput) {
    var sel = h("select", { "data-key": key, "aria-label": label });
    options.forEach(function (o) { var op = h("option", { text: o[0] }); op.value = JSON.stringify(o[1]); sel.appendChild(op); });
    sel.value = JSON.stringify(value);
    sel.addEventListener("change", function () { onInput(key, JSON.parse(sel.value), "change"); });
    var wrap = h("label", { class: "nnlive-control" }, [h("span", { text: label }), sel]);
    wrap.set = function (v) { sel.value = JSON.stringify(v); };
    wrap.input = sel;
    return wrap;
  }
  function button(label, onClick, cls) {
    return h("button", { type: "button", class: "nnlive-button " + (cls || ""), text: label, onclick: onClick });
  }

  /** Common frame: title, controls row, figure row, text. Calls view.draw() on changes. */
  function Frame(el, bundle, opts) {
    this.el = el; this.bundle = bundle; this.opts = opts || {};
    this.values = JSON.parse(JSON.stringify(bundle.values));
    this.frames = 0;
    el.classList.add("nnlive");
    el.innerHTML = "";
    this.controls = h("div", { class: "nnlive-controls" });
    this.figs = h("div", { class: "nnlive-figs" });
    this.text = h("div", { class: "nnlive-text", "aria-live": "polite" });
    el.appendChild(this.controls); el.appendChild(this.figs); el.appendChild(this.text);
    this.widgets = {};
  }
  Frame.prototype.notify = function (phase) {
    if (this.opts.onChange && phase !== "input") this.opts.onChange(JSON.parse(JSON.stringify(this.values)));
  };
  Frame.prototype.drawn = function () {
    this.frames += 1;
    this.el.setAttribute("data-nnlive-frames", String(this.frames));
    this.el.dispatchEvent(new CustomEvent("nnlive:drawn", { detail: { frames: this.frames } }));
  };

  // ---------------------------------------------------------------------------------------
  // The explorers
  // ---------------------------------------------------------------------------------------
  var views = {};

  views.neuron = function (el, bundle, opts) {
    var d = bundle.data, f = new Frame(el, bundle, opts), v = f.values;
    var p1 = new Plot(f.figs, 1.0, 420);
    var table = h("table", { class: "nnlive-table" });
    f.figs.appendChild(h("div", { class: "nnlive-tablebox" }, [table]));
    function onInput(k, val, phase) {
      if (k === "preset") { var pr = d.presets[val]; v.preset = val; ["w1", "w2", "b"].forEach(function (q) { v[q] = pr[q]; f.widgets[q].set(pr[q]); }); }
      else v[k] = val;
      draw(); f.notify(phase);
    }
    f.widgets.preset = select("preset", "プリセット", Object.keys(d.presets).map(function (n) { return [n, n]; }), v.preset, onInput);
    f.controls.appendChild(f.widgets.preset);
    [["w1", "w1"], ["w2", "w2"], ["b", "b"], ["gain", "ゲイン a"]].forEach(function (q) {
      f.widgets[q[0]] = slider(q[0], q[1], d.ranges[q[0]], v[q[0]], onInput, function (x) { return x.toFixed(1); });
      f.controls.appendChild(f.widgets[q[0]]);
    });
    var img = null;
    function state() {
      var lim = d.lim, res = d.resolution, g = linspace(lim[0], lim[1], res), grid = new Float64Array(res * res);
      for (var i = 0; i < res; i++) for (var j = 0; j < res; j++) grid[i * res + j] = 1 / (1 + Math.exp((g[j] * v.w1 + g[i] * v.w2 + v.b) * -v.gain));
      var u = [], y = [], table = [], target = d.targets[v.preset], matches = 0;
      d.inputs.forEach(function (p, k) {
        var uu = p[0] * v.w1 + p[1] * v.w2 + v.b, yy = 1 / (1 + Math.exp(uu * -v.gain));
        u.push(uu); y.push(yy); table.push(yy > 0.5 ? 1 : 0); if ((yy > 0.5 ? 1 : 0) === target[k]) matches++;
      });
      return { grid: grid, u: u, outputs: y, table: table, target: target, matches: matches, gate: d.presets[v.preset].gate };
    }
    function draw() {
      var s = state(), th = theme(el), lim = d.lim, res = d.resolution;
      p1.begin(th);
      var ax = p1.axes(lim, lim, { xlabel: "x1", ylabel: "x2", title: v.preset + ": w1=" + v.w1.toFixed(1) + ", w2=" + v.w2.toFixed(1) + ", b=" + v.b.toFixed(1) + ", a=" + v.gain.toFixed(1) });
      var g = p1.g, b = ax.box;
      if (!img || img.width !== res) { img = document.createElement("canvas"); img.width = res; img.height = res; }
      var ictx = img.getContext("2d"), id = ictx.createImageData(res, res);
      for (var i = 0; i < res; i++) for (var j = 0; j < res; j++) {
        var c = rdbu(s.grid[i * res + j], th.dark), o = ((res - 1 - i) * res + j) * 4;
        id.data[o] = c[0]; id.data[o + 1] = c[1]; id.data[o + 2] = c[2]; id.data[o + 3] = 200;
      }
      ictx.putImageData(id, 0, 0);
      g.imageSmoothingEnabled = true;
      g.drawImage(img, b[0], b[1], b[2] - b[0], b[3] - b[1]);
      // boundary w1 x1 + w2 x2 + b = 0
      if (v.w1 !== 0 || v.w2 !== 0) {
        var xs = [], ys = [];
        [lim[0], lim[1]].forEach(function (t) {
          if (Math.abs(v.w2) >= Math.abs(v.w1)) { xs.push(t); ys.push(-(v.w1 * t + v.b) / v.w2); }
          else { xs.push(-(v.w2 * t + v.b) / v.w1); ys.push(t); }
        });
        p1.line(ax, xs, ys, th.fg, 2);
      }
      d.inputs.forEach(function (p, k) {
        var X = ax.X(p[0]), Y = ax.Y(p[1]), c = rdbu(s.outputs[k], th.dark);
        g.fillStyle = "rgb(" + c.join(",") + ")"; g.strokeStyle = th.fg; g.lineWidth = 1.5;
        g.beginPath(); g.arc(X, Y, 8, 0, 2 * Math.PI); g.fill(); g.stroke();
        g.fillStyle = th.fg; g.textAlign = "center"; g.textBaseline = "bottom";
        g.fillText(s.outputs[k].toFixed(2), X, Y - 10);
      });
      table.innerHTML = "";
      table.appendChild(h("caption", { text: "真理値表（目標 " + s.gate + "）: " + s.matches + "/4 行が一致" }));
      table.appendChild(h("tr", {}, ["x1", "x2", "u", "y", "判定 (y>0.5)", "目標", "一致"].map(function (t) { return h("th", { text: t }); })));
      d.inputs.forEach(function (p, k) {
        table.appendChild(h("tr", {}, [p[0], p[1], (s.u[k] >= 0 ? "+" : "") + s.u[k].toFixed(3), s.outputs[k].toFixed(3), s.table[k], s.target[k], s.table[k] === s.target[k] ? "○" : "×"].map(function (t) { return h("td", { text: String(t) }); })));
      });
      f.state = s;
      f.drawn();
    }
    draw();
    return { frame: f, draw: draw, state: function () { return f.state; }, setValues: function (nv) { Object.keys(nv).forEach(function (k) { if (k in v && v[k] !== nv[k]) { v[k] = nv[k]; f.widgets[k].set(nv[k]); } }); draw(); } };
  };

  views.activation = function (el, bundle, opts) {
    var d = bundle.data, f = new Frame(el, bundle, opts), v = f.values;
    var xs = d.x.values ? Float64Array.from(d.x.values) : linspace(d.x.start, d.x.stop, d.x.num);
    var pf = new Plot(f.figs, 0.75, 360), pd = new Plot(f.figs, 0.75, 360);
    function onInput(k, val, phase) { v[k] = val; draw(); f.notify(phase); }
    f.widgets.name = select("name", "活性化関数", d.names.map(function (n) { return [d.labels[n], n]; }), v.name, onInput);
    f.controls.appendChild(f.widgets.name);
    var labels = { gain: "ゲイン a", alpha: "α", beta: "β", k: "k (片の数)" };
    ["gain", "alpha", "beta", "k"].forEach(function (q) {
      f.widgets[q] = slider(q, labels[q], d.ranges[q], v[q], onInput, function (x) { return q === "k" ? String(x) : x.toFixed(2); });
      f.controls.appendChild(f.widgets[q]);
    });
    function draw() {
      var used = d.parameter_of[v.name];
      ["gain", "alpha", "beta", "k"].forEach(function (q) { f.widgets[q].input.disabled = q !== used; f.widgets[q].classList.toggle("nnlive-off", q !== used); });
      var val = used ? v[used] : null, c = activationCurve(v.name, val, xs), th = theme(el);
      var xl = [xs[0], xs[xs.length - 1]];
      [[pf, c.y, "関数 f(x)", th.blue, []], [pd, c.dy, "導関数 f′(x)", th.orange, [6, 4]]].forEach(function (q) {
        var lo = Infinity, hi = -Infinity;
        for (var i = 0; i < q[1].length; i++) { if (isFinite(q[1][i])) { lo = Math.min(lo, q[1][i]); hi = Math.max(hi, q[1][i]); } }
        var pad = Math.max((hi - lo) * 0.08, 0.1);
        q[0].begin(th);
        var ax = q[0].axes(xl, [lo - pad, hi + pad], { xlabel: "x", title: q[2] });
        q[0].line(ax, [xl[0], xl[1]], [0, 0], th.muted, 1);
        q[0].line(ax, [0, 0], [lo - pad, hi + pad], th.muted, 1);
        if (v.name === "maxout" && q[1] === c.y) q[0].line(ax, xs, Array.from(xs, function (x) { return x * x / 4; }), th.muted, 1, [2, 3]);
        q[0].line(ax, xs, q[1], q[3], 2, q[4]);
      });
      var i0 = 0; for (var i = 0; i < xs.length; i++) if (Math.abs(xs[i]) < Math.abs(xs[i0])) i0 = i;
      var mx = -Infinity; for (i = 0; i < xs.length; i++) mx = Math.max(mx, c.dy[i]);
      f.text.textContent = d.labels[v.name] + (used ? "（" + labels[used] + " = " + (used === "k" ? val : val.toFixed(2)) + "）" : "") +
        ": f(0) = " + c.y[i0].toFixed(4) + "、 f′(0) = " + c.dy[i0].toFixed(4) + "、 描画範囲での f′ の最大値 = " + mx.toFixed(4);
      f.state = { x: xs, y: c.y, dy: c.dy };
      f.drawn();
    }
    draw();
    return { frame: f, draw: draw, setValues: function (nv) { Object.keys(nv).forEach(function (k) { if (k in v) { v[k] = nv[k]; f.widgets[k].set(nv[k]); } }); draw(); } };
  };

  views.descent = function (el, bundle, opts) {
    var d = bundle.data, f = new Frame(el, bundle, opts), v = f.values;
    var p1 = new Plot(f.figs, 0.75, 420), p2 = new Plot(f.figs, 0.75, 340);
    function onInput(k, val, phase) { v[k] = val; draw(); f.notify(phase); }
    f.widgets.lr = slider("lr", "学習率 η", d.ranges.lr, v.lr, onInput, function (x) { return x.toFixed(4); }, true);
    f.widgets.steps = slider("steps", "ステップ数", d.ranges.steps, v.steps, onInput, function (x) { return String(x); });
    f.widgets.a0 = slider("a0", "初期値 a₀", d.ranges.a0, v.a0, onInput, function (x) { return x.toFixed(1); });
    ["lr", "steps", "a0"].forEach(function (q) { f.controls.appendChild(f.widgets[q]); });
    function draw() {
      var s = gradientDescent(v.lr, v.steps | 0, v.a0, d.x, d.y, d.tol), th = theme(el), path = s.path, aS = s.a_star;
      var err0 = Math.max(Math.abs(path[0] - aS), 0.5), mxe = 0;
      path.forEach(function (a) { if (isFinite(a)) mxe = Math.max(mxe, Math.abs(a - aS)); });
      var half = Math.min(Math.max(mxe, err0) * 1.15, 6 * err0), grid = linspace(aS - half, aS + half, 200);
      var L = Array.from(grid, s.loss), lmax = Math.max.apply(null, L);
      p1.begin(th);
      var ax = p1.axes([grid[0], grid[199]], [-0.05 * lmax, lmax * 1.05], { xlabel: "パラメータ a", title: "損失 L(a) と aₖ の軌跡" });
      p1.line(ax, grid, L, th.muted, 1.5);
      p1.line(ax, [aS, aS], [-0.05 * lmax, lmax * 1.05], th.green, 1, [4, 3]);
      var col = s.diverged ? th.red : th.blue;
      p1.line(ax, path, s.losses, col, 1);
      var g = p1.g; p1.clip(ax);
      path.forEach(function (a, k) { g.fillStyle = k === 0 ? th.fg : col; g.beginPath(); g.arc(ax.X(a), ax.Y(s.losses[k]), k === 0 ? 4.5 : 3, 0, 2 * Math.PI); g.fill(); });
      g.restore();
      var errs = path.map(function (a) { return Math.max(Math.abs(a - aS), 1e-16); }), emx = 1e-16;
      errs.forEach(function (e) { if (isFinite(e)) emx = Math.max(emx, e); });
      var lo = Math.min.apply(null, errs.filter(isFinite));
      p2.begin(th);
      var ax2 = p2.axes([0, Math.max(1, path.length - 1)], [Math.pow(10, Math.floor(Math.log10(lo))), Math.pow(10, Math.ceil(Math.log10(emx)) + 0.01)], { logy: true, xlabel: "ステップ k", title: "|aₖ − a*|（η = " + (+v.lr.toPrecision(4)) + "、臨界値 " + (+s.critical_rate.toPrecision(4)) + "）" });
      p2.line(ax2, errs.map(function (e, k) { return k; }), errs, col, 1.5);
      var verdict = s.converged ? "収束しました" : s.diverged ? "発散しています（|a − a*| が増えています）" : "まだ収束していません";
      f.text.textContent = (path.length - 1) + " ステップ後: a = " + (+path[path.length - 1].toPrecision(4)) + ", L(a) = " + (+s.losses[s.losses.length - 1].toPrecision(4)) + "。" + verdict +
        "。1 ステップごとに a − a* は r = 1 − 2ηΣx² = " + s.contraction.toFixed(3) + " 倍になります" + (s.oscillating ? "（r < 0 なので a は a* の左右を行き来します）" : "") + "。";
      f.state = s; f.verdict = s.converged ? "converged" : s.diverged ? "diverged" : "running";
      el.setAttribute("data-nnlive-verdict", f.verdict);
      f.drawn();
    }
    draw();
    return { frame: f, draw: draw, setValues: function (nv) { Object.keys(nv).forEach(function (k) { if (k in v) { v[k] = nv[k]; f.widgets[k].set(nv[k]); } }); draw(); } };
  };

  views.playground = function (el, bundle, opts) {
    var d = bundle.data, f = new Frame(el, bundle, opts), v = f.values;
    d._normals = d._normals || {};
    var p1 = new Plot(f.figs, 0.75, 380), p2 = new Plot(f.figs, 1.0, 380), tr = null, running = false, raf = null;
    var bar = h("div", { class: "nnlive-buttons" });
    var play = button("▶ 学習", toggle, "nnlive-play"), reset = button("↺ リセット", function () { stop(); rebuild(); }), stepB = button("1 ステップ", function () { stop(); tr.trainStep(); record(); draw(); });
    bar.appendChild(play); bar.appendChild(stepB); bar.appendChild(reset);
    function onInput(k, val, phase) {
      if (phase === "input" && k !== "lr") { f.widgets[k] && null; }
      v[k] = val;
      if (phase === "change" || k === "dataset" || k === "activation" || k === "optimizer" || k === "batch_size") { stop(); rebuild(); f.notify("change"); }
    }
    var labels = { dataset: "データ", activation: "活性化関数", batch_size: "バッチサイズ", optimizer: "最適化" };
    ["dataset", "activation", "optimizer", "batch_size"].forEach(function (q) {
      f.widgets[q] = select(q, labels[q], d.options[q], v[q], onInput); f.controls.appendChild(f.widgets[q]);
    });
    f.widgets.hidden = slider("hidden", "中間層のユニット数", d.ranges.hidden, v.hidden, onInput, String);
    f.widgets.layers = slider("layers", "中間層の数", d.ranges.layers, v.layers, onInput, String);
    f.widgets.lr = slider("lr", "学習率 η", d.ranges.lr, v.lr, onInput, function (x) { return x.toFixed(3); }, true);
    f.widgets.seed = slider("seed", "乱数の種", d.ranges.seed, v.seed, onInput, String);
    ["hidden", "layers", "lr", "seed"].forEach(function (q) { f.controls.appendChild(f.widgets[q]); });
    f.controls.appendChild(bar);
    var hist = [];
    function record() { hist.push([tr.step, tr.loss()]); }
    function rebuild() { tr = new Trainer(d, v); hist = [[0, tr.history[0][1]]]; draw(); }
    function stop() { running = false; play.textContent = "▶ 学習"; el.removeAttribute("data-nnlive-running"); if (raf) cancelAnimationFrame(raf); raf = null; }
    function toggle() {
      if (running) { stop(); return; }
      running = true; play.textContent = "⏸ 一時停止"; el.setAttribute("data-nnlive-running", "1");
      var last = performance.now();
      function frame(now) {
        if (!running) return;
        // as many steps as fit in about 12 ms, then one redraw
        var t0 = performance.now(), k = 0;
        do { tr.trainStep(); k++; if (tr.step % Math.max(1, Math.floor(v.batch_size / 10)) === 0 || k === 1) record(); } while (performance.now() - t0 < 12 && k < 50);
        if (hist[hist.length - 1][0] !== tr.step) record();
        draw();
        last = now;
        raf = requestAnimationFrame(frame);
      }
      raf = requestAnimationFrame(frame);
    }
    function draw() {
      var th = theme(el), acc = tr.accuracy(), L = hist.map(function (p) { return p[1]; }), S = hist.map(function (p) { return p[0]; });
      var lmax = Math.max(0.1, Math.max.apply(null, L.filter(isFinite)) * 1.05);
      p1.begin(th);
      var ax = p1.axes([0, Math.max(10, tr.step)], [0, lmax], { xlabel: "ステップ（パラメータの更新回数）", title: "訓練データの損失（" + (+(tr.step * v.batch_size / tr.n).toFixed(2)) + " エポック）" });
      p1.line(ax, S, L, th.blue, 1.5);
      var gr = tr.grid(), res = gr.res;
      p2.begin(th);
      var ax2 = p2.axes(gr.xlim, gr.ylim, { xlabel: "x1", ylabel: "x2", title: "決定境界（正解率 " + (100 * acc).toFixed(1) + " %）" });
      var c = document.createElement("canvas"); c.width = res; c.height = res;
      var cx = c.getContext("2d"), id = cx.createImageData(res, res);
      for (var i = 0; i < res; i++) for (var j = 0; j < res; j++) {
        var col = rdbu(0.5 + (gr.proba[i * res + j] - 0.5) * 0.7, th.dark), o = ((res - 1 - i) * res + j) * 4;
        id.data[o] = col[0]; id.data[o + 1] = col[1]; id.data[o + 2] = col[2]; id.data[o + 3] = 255;
      }
      cx.putImageData(id, 0, 0);
      var b = ax2.box, g = p2.g;
      g.drawImage(c, b[0], b[1], b[2] - b[0], b[3] - b[1]);
      for (var r = 0; r < tr.n; r++) {
        g.fillStyle = tr.t[r] ? "#d62728" : "#1f77b4"; g.strokeStyle = th.dark ? "#eee" : "#fff"; g.lineWidth = 1;
        g.beginPath(); g.arc(ax2.X(tr.x[2 * r]), ax2.Y(tr.x[2 * r + 1]), 3.2, 0, 2 * Math.PI); g.fill(); g.stroke();
      }
      g.strokeStyle = th.fg; g.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
      f.text.textContent = tr.step + " ステップ: 損失 " + L[0].toFixed(3) + " → " + L[L.length - 1].toFixed(3) + "、訓練データの正解率 " + (100 * acc).toFixed(1) + " %";
      f.state = { step: tr.step, accuracy: acc, loss: L[L.length - 1] };
      el.setAttribute("data-nnlive-accuracy", String(acc));
      el.setAttribute("data-nnlive-step", String(tr.step));
      f.drawn();
    }
    rebuild();
    return { frame: f, draw: draw, trainer: function () { return tr; }, stop: stop, toggle: toggle,
      setValues: function (nv) { var ch = false; Object.keys(nv).forEach(function (k) { if (k in v && v[k] !== nv[k]) { v[k] = nv[k]; f.widgets[k] && f.widgets[k].set(nv[k]); ch = true; } }); if (ch) { stop(); rebuild(); } },
      destroy: stop };
  };

  views.digits = function (el, bundle, opts) {
    var d = bundle.data, f = new Frame(el, bundle, opts), side = d.side, n = d.indices.length;
    var net = digitNet(d.network), imgs = decode(d.images, "uint8"), pos = Math.max(0, d.indices.indexOf(bundle.values.index));
    var wrong = [];
    var probs = [];
    function image(k) { var a = new Float64Array(side * side); for (var i = 0; i < side * side; i++) a[i] = imgs[k * side * side + i] / 255; return a; }
    for (var k = 0; k < n; k++) { probs.push(digitProbabilities(net, image(k))); if (argmax(probs[k]) !== d.labels[k]) wrong.push(k); }
    function argmax(p) { var b = 0; for (var i = 1; i < p.length; i++) if (p[i] > p[b]) b = i; return b; }
    var sel = h("input", { type: "range", min: 0, max: n - 1, step: 1, "data-key": "index", "aria-label": "画像" }); sel.value = pos;
    var lab = h("output", { class: "nnlive-value" });
    sel.addEventListener("input", function () { pos = Number(sel.value); mode = "test"; draw(); });
    sel.addEventListener("change", function () { f.values.index = d.indices[pos]; f.notify("change"); });
    var prevW = button("◀ 前の誤分類", function () { jump(-1); }), nextW = button("次の誤分類 ▶", function () { jump(1); });
    function jump(dir) {
      if (!wrong.length) return;
      var cand = dir > 0 ? wrong.filter(function (k) { return k > pos; })[0] : wrong.filter(function (k) { return k < pos; }).pop();
      if (cand === undefined) cand = dir > 0 ? wrong[0] : wrong[wrong.length - 1];
      pos = cand; sel.value = pos; mode = "test"; draw(); f.values.index = d.indices[pos]; f.notify("change");
    }
    f.controls.appendChild(h("label", { class: "nnlive-control nnlive-wide" }, [h("span", { text: "テスト画像" }), sel, lab]));
    f.controls.appendChild(h("div", { class: "nnlive-buttons" }, [prevW, nextW]));
    // left: the image or the drawing pad; right: bars
    var padBox = h("div", { class: "nnlive-pad" });
    var pad = h("canvas", { class: "nnlive-draw", width: 280, height: 280, "aria-label": "ここに数字を描く" });
    var clear = button("消す", function () { pctx.fillStyle = "#000"; pctx.fillRect(0, 0, 280, 280); drawn = false; mode = "test"; draw(); });
    var small = h("canvas", { class: "nnlive-small", width: 28, height: 28 });
    padBox.appendChild(h("div", { class: "nnlive-padhead", text: "ここに数字を描けます（マウスまたは指）" }));
    padBox.appendChild(pad);
    padBox.appendChild(h("div", { class: "nnlive-buttons" }, [clear, h("span", { class: "nnlive-note", text: "28×28 に変換:" }), small]));
    var pBars = new Plot(f.figs, 0.62, 420);
    f.figs.insertBefore(padBox, f.figs.firstChild);
    var pctx = pad.getContext("2d"); pctx.fillStyle = "#000"; pctx.fillRect(0, 0, 280, 280);
    var drawing = false, drawn = false, mode = "test", lastPt = null, drawnInput = null;
    function pt(e) { var r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * 280 / r.width, (e.clientY - r.top) * 280 / r.height]; }
    function strokeTo(p) {
      pctx.strokeStyle = "#fff"; pctx.lineWidth = 22; pctx.lineCap = "round";
      pctx.beginPath(); pctx.moveTo(lastPt[0], lastPt[1]); pctx.lineTo(p[0], p[1]); pctx.stroke(); lastPt = p;
    }
    pad.addEventListener("pointerdown", function (e) {
      if (!drawn || mode !== "draw") { pctx.fillStyle = "#000"; pctx.fillRect(0, 0, 280, 280); }
      drawing = true; drawn = true; mode = "draw"; lastPt = pt(e); strokeTo(pt(e)); e.preventDefault();
      if (pad.setPointerCapture) try { pad.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events */ }
    });
    pad.addEventListener("pointermove", function (e) { if (drawing) { strokeTo(pt(e)); predictDrawing(); e.preventDefault(); } });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) { pad.addEventListener(t, function () { if (drawing) { drawing = false; predictDrawing(); } }); });
    function predictDrawing() {
      var data = pctx.getImageData(0, 0, 280, 280).data, ink = new Float64Array(280 * 280);
      for (var i = 0; i < 280 * 280; i++) ink[i] = data[4 * i] / 255;
      drawnInput = preprocessDrawing(ink, 280, 280, side, 20);
      draw();
    }
    function draw() {
      var th = theme(el), p, title, label = null;
      if (mode === "draw" && drawnInput) { p = digitProbabilities(net, drawnInput); title = "あなたの数字"; showSmall(drawnInput); }
      else {
        p = probs[pos]; label = d.labels[pos];
        var im = image(pos); showSmall(im);
        if (!drawing) { var id = pctx.createImageData(280, 280); for (var y = 0; y < 280; y++) for (var x = 0; x < 280; x++) { var g = Math.round(im[Math.floor(y / 10) * side + Math.floor(x / 10)] * 255), o = 4 * (y * 280 + x); id.data[o] = id.data[o + 1] = id.data[o + 2] = g; id.data[o + 3] = 255; } pctx.putImageData(id, 0, 0); drawn = false; }
        title = "テスト画像 " + d.indices[pos] + "（正解 " + label + "）";
      }
      var pred = argmax(p), ok = label === null || pred === label;
      lab.textContent = "番号 " + d.indices[pos];
      pBars.begin(th);
      var ax = pBars.axes([-0.6, 9.6], [0, 1.08], { xticks: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], xlabel: "クラス（数字）", title: title + ": 予測 " + pred + "（確率 " + p[pred].toFixed(3) + "）" });
      var g2 = pBars.g, w = (ax.X(1) - ax.X(0)) * 0.75;
      for (var c = 0; c < 10; c++) {
        g2.fillStyle = c === pred ? (ok ? th.green : th.red) : th.muted;
        g2.fillRect(ax.X(c) - w / 2, ax.Y(p[c]), w, ax.Y(0) - ax.Y(p[c]));
        if (c === label) { g2.strokeStyle = th.fg; g2.lineWidth = 2; g2.strokeRect(ax.X(c) - w / 2, ax.Y(p[c]), w, ax.Y(0) - ax.Y(p[c])); }
      }
      var wrongHere = wrong.length;
      f.text.textContent = mode === "draw" ? "描いた数字の予測: " + pred + "（確率 " + p[pred].toFixed(3) + "）" :
        "画像 " + d.indices[pos] + ": 正解 " + label + "、予測 " + pred + "（確率 " + p[pred].toFixed(3) + "）。" + (ok ? "正しく分類しています。" : "誤分類です。") +
        "このモデルはテスト画像 " + d.n_total.toLocaleString() + " 枚中 " + d.n_wrong_total.toLocaleString() + " 枚を誤分類します（ここに載せた " + n + " 枚のうち誤分類は " + wrongHere + " 枚）。";
      f.state = { probabilities: p, predicted: pred, label: label, mode: mode };
      el.setAttribute("data-nnlive-predicted", String(pred));
      f.drawn();
    }
    function showSmall(a) {
      var sc = small.getContext("2d"), id = sc.createImageData(side, side);
      for (var i = 0; i < side * side; i++) { var g = Math.round(255 - a[i] * 255); id.data[4 * i] = id.data[4 * i + 1] = id.data[4 * i + 2] = g; id.data[4 * i + 3] = 255; }
      sc.putImageData(id, 0, 0);
    }
    draw();
    return { frame: f, draw: draw, net: net, probabilities: function () { return probs; }, wrong: wrong,
      setValues: function (nv) { if ("index" in nv) { var k = d.indices.indexOf(nv.index); if (k >= 0) { pos = k; sel.value = k; mode = "test"; draw(); } } } };
  };

  /** Render the explorer of ``bundle`` (the payload) into ``el``; returns a view object. */
  function render(el, bundle, opts) {
    if (!bundle || bundle.version !== 1 || !views[bundle.kind]) {
      el.textContent = "nnlib-live: この出力の形式に対応していません。";
      return null;
    }
    var view = views[bundle.kind](el, bundle, opts);
    el.nnliveView = view;
    // redraw when the width changes (phone rotation, sidebar) or the theme switches
    if (typeof ResizeObserver !== "undefined") {
      var w0 = el.clientWidth;
      new ResizeObserver(function () { if (Math.abs(el.clientWidth - w0) > 4) { w0 = el.clientWidth; view.draw(); } }).observe(el);
    }
    if (typeof MutationObserver !== "undefined") {
      new MutationObserver(function () { view.draw(); }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    }
    return view;
  }
  /** Render every <div class="nnlib-live"> of the page (the HTML book). */
  function renderAll() {
    var els = document.querySelectorAll("div.nnlib-live:not([data-nnlive-done])");
    Array.prototype.forEach.call(els, function (el) {
      var src = el.querySelector("script.nnlib-live-data");
      if (!src) return;
      var holder = el.querySelector(".nnlib-live-view");
      try {
        render(holder, JSON.parse(src.textContent));
        el.setAttribute("data-nnlive-done", "1");
        el.classList.add("nnlib-live-on"); // hides the PNG fallback
      } catch (err) {
        if (typeof console !== "undefined") console.error("nnlib-live:", err);
        el.setAttribute("data-nnlive-error", String(err));
      }
    });
  }
  if (typeof document !== "undefined" && typeof window !== "undefined" && !window.__nnliveModule) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
    else renderAll();
  }

  return { render: render, renderAll: renderAll, decode: decode, sigmoid: sigmoid, erf: erf,
    activation: activation, activationCurve: activationCurve, maxoutPieces: maxoutPieces,
    gradientDescent: gradientDescent, trainPlayground: trainPlayground, Trainer: Trainer,
    BatchOrder: BatchOrder, digitNet: digitNet, digitProbabilities: digitProbabilities,
    preprocessDrawing: preprocessDrawing, linspace: linspace, version: 1 };
})();
if (typeof window !== "undefined") window.NNLibLive = NNLibLive;
