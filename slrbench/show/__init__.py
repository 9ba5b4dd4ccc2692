"""`slrbench show`: draw what the model sees (keypoints, skeleton and heatmaps over the frames)."""
