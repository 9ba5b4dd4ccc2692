"""slrbench-posegcn: a third-party slrbench plugin distribution.

It adds the `posegcn` backbone (a spatio-temporal graph network over the 63 NLA-SLR keypoints)
and the `spelling` label smoother. slrbench finds them through the `slrbench` entry point,
which names `slrbench_posegcn.plugin`; this package module imports nothing so that listing
plugins stays cheap.
"""
