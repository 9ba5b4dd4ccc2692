"""Keypoint extraction: video -> (T, 133, 3) COCO-WholeBody keypoints (`slrbench keypoints extract`)."""
