"""The training kernel: one forward and backward pass with no allocation.

For the tutorial's 2-4-1 network a NumPy call costs far more than the
arithmetic inside it, so speed comes from making fewer calls: the bias rides
in the matrix product (each layer's input carries a column of ones), every
intermediate lives in a buffer allocated once, activation derivatives are
written during the forward pass instead of being recomputed, and the gradient
lands in one flat vector that the optimizer updates with a single call.

The numbers are the same as ``Network.passes`` (a test holds them equal); that
readable version is the one to read to understand the maths.

Feature inputs are computed once per ``set_data`` (the data's positions change
far less often than epochs run), straight into layer 0's input buffer.  A
softmax output computes its probabilities and the cross-entropy from the same
shifted logits, so the loss is a log-sum-exp and never the log of an
underflowed probability.
"""

from __future__ import annotations

import numpy as np

from nnviz.core import activations, features, losses
from nnviz.core.network import Network


class Kernel:
    """Buffers and the fused pass for a network and a batch of ``m`` rows."""

    def __init__(self, net: Network, m: int) -> None:
        self.net = net
        self.m = m
        sizes = net.layers
        n_layers = len(sizes) - 1
        # inputs[k] is layer k's input with a trailing column of ones.
        self.inputs = [np.ones((m, n + 1)) for n in sizes[:-1]]
        self.z = [np.empty((m, n)) for n in sizes[1:]]
        self.da = [np.empty((m, n)) for n in sizes[1:]]
        self.dz = [np.empty((m, n)) for n in sizes[1:]]
        self.output = np.empty((m, sizes[-1]))
        # a[k] is where layer k writes its activation: the next layer's input.
        self.a = [self.inputs[k + 1][:, :-1] for k in range(n_layers - 1)] + [self.output]
        self.grad = np.zeros_like(net.params)
        self.grad_Wa = []
        start = 0
        for wa in net.Wa:
            self.grad_Wa.append(self.grad[start:start + wa.size].reshape(wa.shape))
            start += wa.size
        acts = [activations.get(net.activation)] * (n_layers - 1) + [activations.get(net.output_activation)]
        forwards = [act.forward_into for act in acts]
        self._softmax = net.output_activation == "softmax"
        if self._softmax:
            forwards[-1] = self._softmax_into
            self._row_max = np.empty((m, 1))
            self._row_sum = np.empty((m, 1))
            self._ones = np.ones((sizes[-1], 1))
        self._forward = [(self.inputs[k], net.Wa[k], self.z[k], self.a[k], self.da[k], forwards[k])
                         for k in range(n_layers)]
        # Passing dz back through a layer of one unit is an outer product: a broadcast multiply
        # gives the same (exact) products several times faster than a matrix product of inner size 1.
        self._backward = [(self.inputs[k].T, self.dz[k], self.grad_Wa[k],
                           net.W[k].T if k else None, self.dz[k - 1] if k else None,
                           self.da[k - 1] if k else None, np.multiply if sizes[k + 1] == 1 else np.matmul)
                          for k in range(n_layers - 1, -1, -1)]
        self._diff = np.empty((m, 1))
        self._diff_flat = self._diff.ravel()
        self._mode = (net.loss, net.output_activation)
        self._linear_mse = self._mode == ("mse", "linear")  # f' = 1: no multiply by it
        self._features = net.features
        self.set_targets(np.zeros((m, 1)))

    @property
    def X(self) -> np.ndarray:
        """Layer 0's input rows: the features of the points (a view: write into it to change the data)."""
        return self.inputs[0][:, :-1]

    def set_targets(self, y: np.ndarray) -> None:
        self.y = np.array(y, dtype=np.float64).reshape(self.m, 1)
        if self._softmax:
            self._onehot = losses.onehot(self.y, self.net.outputs)
            return
        self._one_minus_y = 1.0 - self.y
        self._sign = 2.0 * self.y - 1.0

    def set_data(self, X: np.ndarray, y: np.ndarray) -> None:
        """Train on raw points X (m, 2) and their labels or targets y."""
        if features.is_default(self._features):
            self.X[:] = X
        else:
            features.expand_into(np.asarray(X, dtype=np.float64), self._features, self.X)
        self.set_targets(y)

    def _softmax_into(self, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> None:
        # Leaves the shifted logits z - max in z and each row's sum of exponentials in _row_sum:
        # the cross-entropy is then log(sum) - (z_true - max), with no log of a probability.
        activations.softmax_into(z, a, self._row_max, self._row_sum, self._ones)

    def loss_and_gradient(self) -> float:
        """Forward and backward pass; fills ``grad`` and returns the loss."""
        matmul, multiply = np.matmul, np.multiply
        for inp, wa, z, a, da, forward_into in self._forward:
            matmul(inp, wa, out=z)
            forward_into(z, a, da)
        out, y, m = self.output, self.y, self.m
        top = self.dz[-1]
        d = self._diff
        if self._softmax:
            shifted = self.z[-1]
            loss = (np.sum(np.log(self._row_sum)) - np.vdot(shifted, self._onehot)) / m
            np.subtract(out, self._onehot, out=top)
            multiply(top, 1.0 / m, out=top)
        elif self._mode[0] == "mse":
            np.subtract(out, y, out=d)
            loss = np.dot(self._diff_flat, self._diff_flat) / m
            if self._linear_mse:
                multiply(d, 2.0 / m, out=top)
            else:
                multiply(d, self.da[-1], out=top)
                multiply(top, 2.0 / m, out=top)
        elif self._mode[1] == "sigmoid":
            # Probability given to the true class: a if y = 1, 1 - a if y = 0.
            multiply(out, self._sign, out=d)
            d += self._one_minus_y
            np.maximum(d, losses.EPS, out=d)
            np.log(d, out=d)
            loss = -np.sum(d) / m
            np.subtract(out, y, out=top)
            multiply(top, 1.0 / m, out=top)
        else:  # bce on a logit: the output buffer holds z itself
            loss = losses.value(out, out, y, "bce", "linear")
            top[:] = (activations.sigmoid(out) - y) / m
        for inp_t, dz, g, w_t, dz_below, da_below, back in self._backward:
            matmul(inp_t, dz, out=g)
            if w_t is not None:
                back(dz, w_t, out=dz_below)
                multiply(dz_below, da_below, out=dz_below)
        return float(loss)
