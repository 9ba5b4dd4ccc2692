"""Keypoints from the reference pickle, .npy and .pose files map to the 63-point NLA-SLR layout."""
from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from data_roots import KEYPOINT_INDICES, SAMPLES, SHARED_SAMPLES
from slrbench.data.keypoint_layout import KEYPOINT_NAMES, NLA_SLR_KEYPOINTS
from slrbench.data.keypoints import KeypointsUnavailable, read_keypoints
from slrbench.data.pose_layouts import read_pose_file

# MediaPipe Holistic's 33 pose landmarks, in its order (the point names of a full .pose file)
HOLISTIC_BODY = (
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE", "RIGHT_EYE_OUTER",
    "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW",
    "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY", "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX",
    "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP", "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE",
    "LEFT_HEEL", "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX",
)
HOLISTIC_HAND = (
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP", "INDEX_FINGER_PIP",
    "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP", "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP",
    "MIDDLE_FINGER_TIP", "RING_FINGER_MCP", "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP",
    "PINKY_MCP", "PINKY_PIP", "PINKY_DIP", "PINKY_TIP",
)


def write_full_holistic_pose(path: Path, frames: int = 30, size: tuple[int, int] = (320, 240)) -> Path:
    """A .pose file with every MediaPipe Holistic point (33 body, 468 face, 2 x 21 hands), written with
    pose-format: points wander from random places inside the frame (the samples in tests/data are reduced
    files; a full one from ../shared is used too when present)."""
    from pose_format import Pose
    from pose_format.numpy.pose_body import NumPyPoseBody
    from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

    components = [("POSE_LANDMARKS", HOLISTIC_BODY), ("FACE_LANDMARKS", [str(i) for i in range(468)]),
                  ("LEFT_HAND_LANDMARKS", HOLISTIC_HAND), ("RIGHT_HAND_LANDMARKS", HOLISTIC_HAND)]
    header = PoseHeader(0.1, PoseHeaderDimensions(*size, 0), [
        PoseHeaderComponent(name, list(points), [], [(255, 0, 0)], "XYZC") for name, points in components])
    count = sum(len(points) for _, points in components)
    rng = np.random.default_rng(0)
    start = rng.uniform(0.3, 0.7, (1, 1, count, 2)) * size
    xy = start + np.cumsum(rng.normal(0, 1, (frames, 1, count, 2)), axis=0)
    data = np.concatenate([xy, np.zeros((frames, 1, count, 1))], axis=-1).astype(np.float32)  # (T, people, P, XYZ)
    mask = np.zeros_like(data, bool)
    body = NumPyPoseBody(30, np.ma.masked_array(data, mask=mask), np.ones(data.shape[:3], np.float32))
    buffer = io.BytesIO()
    Pose(header, body).write(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_the_63_indices_match_the_reference_transcription():
    facts = json.loads(KEYPOINT_INDICES.read_text())
    assert list(NLA_SLR_KEYPOINTS) == facts["concatenated_indices"] and len(KEYPOINT_NAMES) == 63


def test_pickle_entries_select_the_63_points(tmp_path):
    wholebody = np.random.default_rng(0).uniform(0, 100, (10, 133, 3)).astype(np.float32)
    with open(tmp_path / "keypoints.pkl", "wb") as handle:
        pickle.dump({"00335": wholebody}, handle)
    track = read_keypoints(f"{tmp_path / 'keypoints.pkl'}#00335")
    assert track.values.shape == (10, 63, 3)
    assert np.array_equal(track.values, wholebody[:, list(NLA_SLR_KEYPOINTS)])
    with pytest.raises(KeypointsUnavailable, match="no entry 'other'"):
        read_keypoints(f"{tmp_path / 'keypoints.pkl'}#other")


def test_npy_without_scores_gets_score_one(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((4, 63, 2), np.float32))
    assert np.all(read_keypoints(str(tmp_path / "a.npy")).values[..., 2] == 1)
    np.save(tmp_path / "b.npy", np.zeros((4, 17, 3), np.float32))
    with pytest.raises(KeypointsUnavailable, match=r"\(T, 133, 3\)"):
        read_keypoints(str(tmp_path / "b.npy"))


FULL_HOLISTIC = SHARED_SAMPLES / "segmentation_example.pose"  # optional: a real full file, not in tests/data
POSE_SAMPLES = [
    pytest.param(SAMPLES / "mediapipe.pose", "mediapipe-holistic", id="mediapipe"),
    pytest.param(SAMPLES / "openpose.pose", "openpose", id="openpose"),
    pytest.param(SAMPLES / "lexicon" / "sgg" / "essen.pose", "mediapipe-holistic", id="lexicon-essen"),
    pytest.param(FULL_HOLISTIC, "mediapipe-holistic", id="shared-segmentation-example", marks=pytest.mark.skipif(
        not FULL_HOLISTIC.is_file(), reason=f"{FULL_HOLISTIC} not found (optional; a generated full file is tested)")),
]


@pytest.mark.parametrize("path, layout", POSE_SAMPLES)
def test_pose_samples_load_and_map_to_63_points(path, layout):
    pose = read_pose_file(path)
    assert pose.layout == layout and pose.values.shape[1:] == (63, 3) and pose.values.shape[0] > 10
    width, height = pose.frame_size
    seen = pose.values[pose.values[..., 2] > 0.5]
    assert len(seen) and seen[:, 0].max() <= width * 1.5 and seen[:, 1].max() <= height * 1.5
    # hands move, so the wrists of the hand channels are not constant over time
    assert pose.values[:, 42 - 21, 0].std() + pose.values[:, 0, 0].std() > 0


def test_full_mediapipe_file_provides_every_point(tmp_path):
    from pose_format import Pose

    path = write_full_holistic_pose(tmp_path / "full.pose")
    pose = read_pose_file(path)
    assert (pose.layout, pose.missing) == ("mediapipe-holistic", ())
    assert (pose.values.shape, pose.frame_size) == ((30, 63, 3), (320, 240))
    raw = np.ma.getdata(Pose.read(path.read_bytes()).body.data)[:, 0, :, :2]  # (T, 543, 2)
    for name, point in (("nose", "NOSE"), ("left_eye", "LEFT_EYE"), ("right_wrist", "RIGHT_WRIST")):
        assert np.allclose(pose.values[:, KEYPOINT_NAMES.index(name), :2], raw[:, HOLISTIC_BODY.index(point)])
    assert np.allclose(pose.values[:, 0, :2], raw[:, 33 + 468])  # left-hand wrist: hands map one to one
    if FULL_HOLISTIC.is_file():  # a real full file gives the same answer
        assert read_pose_file(FULL_HOLISTIC).missing == ()


def test_reduced_mediapipe_file_falls_back_to_face_mesh_and_names_what_it_lacks():
    pose = read_pose_file(SAMPLES / "mediapipe.pose")
    assert pose.missing == ("nose",)  # no pose nose, no FaceMesh nose tip in the reduced set
    eyes = pose.values[:, KEYPOINT_NAMES.index("left_eye")]
    assert (eyes[:, 2] > 0).any()


def test_openpose_mapping_is_exact_for_the_body():
    pose = read_pose_file(SAMPLES / "openpose.pose")
    assert pose.missing == ()
    from pose_format import Pose

    raw = Pose.read((SAMPLES / "openpose.pose").read_bytes())
    nose = np.ma.getdata(raw.body.data)[:, 0, 0, :2]  # BODY_25 point 0
    assert np.allclose(pose.values[:, KEYPOINT_NAMES.index("nose"), :2], nose)


def test_pose_keypoints_read_through_the_generic_reader():
    track = read_keypoints(str(SAMPLES / "mediapipe.pose"))
    assert track.values.shape[1:] == (63, 3) and track.frame_size == (1250, 1250)
