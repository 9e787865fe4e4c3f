"""Full-data k-means for ICLRec's E-step, through faiss (the library ICLRec itself uses)."""

from __future__ import annotations

import numpy as np


def kmeans(points: np.ndarray, k: int, n_iter: int = 20, seed: int = 0, n_redo: int = 1) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """Lloyd's k-means of ``points`` ``[n, d]``: returns centroids ``[k, d]`` and each point's cluster ``[n]``.

    Needs ``n >= k`` points; faiss seeds from a random sample and runs ``n_iter`` iterations, keeping
    the best of ``n_redo`` restarts.
    """
    import faiss

    data = np.ascontiguousarray(points, dtype=np.float32)
    if data.shape[0] < k:
        raise ValueError(f"k-means needs at least k={k} points, got {data.shape[0]}")
    model = faiss.Kmeans(data.shape[1], k, niter=n_iter, seed=seed, nredo=n_redo, verbose=False,
                         min_points_per_centroid=1)
    model.train(data)
    _, assignment = model.index.search(data, 1)
    return model.centroids.copy(), assignment.ravel().astype(np.int64)
