"""The data pipeline: annotation readers, keypoints, video decoding, clip transforms, the loader
and the embedded synthetic benchmark. Each module has one job; import the one you need."""
