"""
======================================
Out-of-core training from a memory map
======================================

When the training set is too large to load at once, ``partial_fit`` trains
the network one chunk of rows at a time: each call makes one pass of
mini-batch updates over the rows it is given and keeps the weights and the
optimizer's state for the next call. The rows can come from anywhere; here
they are read from a NumPy memory map, an array stored in a file of which the
operating system loads only the pages that are touched.

The data are 50,000 generated samples with 20 features, written to a
temporary ``.npy`` file in ``float32``. The network trains in that precision
too: ``ScratchMLPClassifier`` keeps ``float32`` input as it is.
"""

# %%
# Write the data to a memory-mapped file
# --------------------------------------
# :func:`numpy.lib.format.open_memmap` creates a ``.npy`` file of the given
# shape and returns an array backed by it. The last 10,000 rows are held out
# for scoring. Once written, the array in memory is deleted: from here on,
# only the file holds the data.
import tempfile
from pathlib import Path

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask_ml.wrappers import Incremental
from sklearn.datasets import make_classification

from skscratch import ScratchMLPClassifier

n_samples, n_features, n_train = 50_000, 20, 40_000
X_generated, y = make_classification(
    n_samples=n_samples,
    n_features=n_features,
    n_informative=12,
    n_redundant=4,
    n_classes=4,
    class_sep=0.8,
    random_state=0,
)
classes = np.unique(y)

workdir = tempfile.TemporaryDirectory()
path = Path(workdir.name) / "X.npy"
X_file = np.lib.format.open_memmap(
    path, mode="w+", dtype=np.float32, shape=(n_samples, n_features)
)
X_file[:] = X_generated
X_file.flush()
del X_file, X_generated

X = np.load(path, mmap_mode="r")  # read-only, nothing loaded yet
print(f"{type(X).__name__} of shape {X.shape}, dtype {X.dtype}")
print(f"{path.stat().st_size / 2**20:.1f} MiB on disk")

# %%
# Train chunk by chunk
# --------------------
# Each epoch visits the training chunks in a new random order; each chunk is
# copied from the file into memory (``np.asarray``) only for its
# ``partial_fit`` call. ``classes`` must be given on the first call, since the
# first chunk need not contain every label. After each epoch the held-out
# rows are scored, in chunks as well.
chunk_size = 5_000
starts = np.arange(0, n_train, chunk_size)
rng = np.random.default_rng(0)

model = ScratchMLPClassifier(
    hidden_layer_sizes=(64,), learning_rate_init=0.003, random_state=0
)


def held_out_accuracy(model, X, y):
    correct = 0
    for start in range(n_train, n_samples, chunk_size):
        X_chunk = np.asarray(X[start : start + chunk_size])
        correct += np.sum(model.predict(X_chunk) == y[start : start + chunk_size])
    return correct / (n_samples - n_train)


n_epochs = 8
accuracy = []
for epoch in range(n_epochs):
    for start in rng.permutation(starts):
        X_chunk = np.asarray(X[start : start + chunk_size])
        model.partial_fit(X_chunk, y[start : start + chunk_size], classes=classes)
    accuracy.append(held_out_accuracy(model, X, y))
    print(f"epoch {epoch + 1}: held-out accuracy {accuracy[-1]:.3f}")

print(f"samples seen: {model.t_}, weights in {model.coefs_[0].dtype}")

# %%
# Held-out accuracy per epoch
# ---------------------------
fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
ax.plot(np.arange(1, n_epochs + 1), accuracy, marker="o")
ax.set_xlabel("epoch (one pass over the 8 training chunks)")
ax.set_ylabel("held-out accuracy")
ax.set_title("partial_fit over a memory-mapped array")
ax.grid(alpha=0.3)
plt.show()

# %%
# The same with dask-ml
# ---------------------
# :class:`dask_ml.wrappers.Incremental` runs this loop for a dask array: its
# ``fit`` calls ``partial_fit`` on a clone of the estimator once per block,
# in order when ``shuffle_blocks=False``, and ``predict`` and ``score`` work
# block by block. Built from the memory map, the dask array reads each block
# from the file when it is needed; the default local scheduler is enough, no
# cluster is started. One ``fit`` is one epoch.
X_dask = da.from_array(X, chunks=(chunk_size, n_features))
y_dask = da.from_array(y, chunks=chunk_size)
incremental = Incremental(
    ScratchMLPClassifier(
        hidden_layer_sizes=(64,), learning_rate_init=0.003, random_state=0
    ),
    shuffle_blocks=False,
)
incremental.fit(X_dask[:n_train], y_dask[:n_train], classes=classes)
print(
    f"one epoch with dask-ml: held-out accuracy "
    f"{incremental.score(X_dask[n_train:], y_dask[n_train:]):.3f}"
)

# %%
# Clean up
# --------
# Drop the references to the memory map before deleting its file (Windows
# cannot delete a file that is still mapped).
del X, X_dask, y_dask
workdir.cleanup()
