"""Keypoints from the reference pickle, .npy and .pose files map to the 63-point NLA-SLR layout."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from data_roots import ANNOTATIONS, SAMPLES, needs_shared_data
from slrbench.data.keypoint_layout import KEYPOINT_NAMES, NLA_SLR_KEYPOINTS
from slrbench.data.keypoints import KeypointsUnavailable, read_keypoints
from slrbench.data.pose_layouts import read_pose_file


@needs_shared_data
def test_the_63_indices_match_the_reference_transcription():
    facts = json.loads((ANNOTATIONS / "nla_slr_keypoint_indices.json").read_text())
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


@needs_shared_data
@pytest.mark.parametrize("name, layout", [
    ("mediapipe.pose", "mediapipe-holistic"),
    ("segmentation_example.pose", "mediapipe-holistic"),
    ("openpose.pose", "openpose"),
    ("lexicon/sgg/essen.pose", "mediapipe-holistic"),
])
def test_pose_samples_load_and_map_to_63_points(name, layout):
    pose = read_pose_file(SAMPLES / name)
    assert pose.layout == layout and pose.values.shape[1:] == (63, 3) and pose.values.shape[0] > 10
    width, height = pose.frame_size
    seen = pose.values[pose.values[..., 2] > 0.5]
    assert len(seen) and seen[:, 0].max() <= width * 1.5 and seen[:, 1].max() <= height * 1.5
    # hands move, so the wrists of the hand channels are not constant over time
    assert pose.values[:, 42 - 21, 0].std() + pose.values[:, 0, 0].std() > 0


@needs_shared_data
def test_full_mediapipe_file_provides_every_point():
    assert read_pose_file(SAMPLES / "segmentation_example.pose").missing == ()


@needs_shared_data
def test_reduced_mediapipe_file_falls_back_to_face_mesh_and_names_what_it_lacks():
    pose = read_pose_file(SAMPLES / "mediapipe.pose")
    assert pose.missing == ("nose",)  # no pose nose, no FaceMesh nose tip in the reduced set
    eyes = pose.values[:, KEYPOINT_NAMES.index("left_eye")]
    assert (eyes[:, 2] > 0).any()


@needs_shared_data
def test_openpose_mapping_is_exact_for_the_body():
    pose = read_pose_file(SAMPLES / "openpose.pose")
    assert pose.missing == ()
    from pose_format import Pose

    raw = Pose.read((SAMPLES / "openpose.pose").read_bytes())
    nose = np.ma.getdata(raw.body.data)[:, 0, 0, :2]  # BODY_25 point 0
    assert np.allclose(pose.values[:, KEYPOINT_NAMES.index("nose"), :2], nose)


@needs_shared_data
def test_pose_keypoints_read_through_the_generic_reader():
    track = read_keypoints(str(SAMPLES / "mediapipe.pose"))
    assert track.values.shape[1:] == (63, 3) and track.frame_size == (1250, 1250)
