"""Full-data k-means for ICLRec's E-step, through faiss (the library ICLRec itself uses)."""

from __future__ import annotations

import numpy as np

# ICLRec's faiss setting: k-means trains on at most 4096 points per centroid (a sample beyond that).
MAX_POINTS_PER_CENTROID = 4096


def kmeans(points: np.ndarray, k: int, n_iter: int = 20, seed: int = 0,
           n_redo: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means of ``points`` ``[n, d]``: centroids ``[k, d]`` and each point's nearest centroid ``[n]``.

    Needs ``n >= k`` points. faiss seeds from a random sample drawn with ``seed``, runs ``n_iter``
    iterations and keeps the restart with the lowest squared error out of ``n_redo``.
    """
    import faiss

    data = np.ascontiguousarray(points, dtype=np.float32)
    if data.ndim != 2:
        raise ValueError(f"k-means needs a [n, d] matrix of points, got shape {data.shape}")
    if data.shape[0] < k:
        raise ValueError(f"k-means needs at least k={k} points, got {data.shape[0]}")
    model = faiss.Kmeans(data.shape[1], k, niter=n_iter, seed=seed, nredo=n_redo, verbose=False,
                         min_points_per_centroid=1, max_points_per_centroid=MAX_POINTS_PER_CENTROID)
    model.train(data)
    _, assignment = model.index.search(data, 1)
    return model.centroids.copy(), assignment.ravel().astype(np.int64)
