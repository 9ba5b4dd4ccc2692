"""Built-in keypoint extractors: video frames -> (T, 133, 3) COCO-WholeBody keypoints.

Both run offline: MediaPipe Holistic's model ships inside the `mediapipe` wheel, and RTMPose /
RTMW models are ONNX files the user already has (`path`); nothing is downloaded.
See docs/keypoints.md.
"""
from pathlib import Path
from typing import Literal

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl


class MediaPipeConfig(PluginConfig):
    model_complexity: Literal[0, 1, 2] = Field(
        1, description="pose model: 1 (full) ships in the wheel; 0 (lite) and 2 (heavy) only if already downloaded"
    )
    refine_face_landmarks: bool = Field(False, description="FaceMesh attention model for lips and eyes (slower)")
    smooth_landmarks: bool = Field(True, description="MediaPipe's temporal filter on the pose landmarks")
    min_detection_confidence: float = Field(0.5, ge=0, le=1, description="person / hand detection threshold")
    min_tracking_confidence: float = Field(0.5, ge=0, le=1, description="below this, landmarks are re-detected")
    static_image_mode: bool = Field(False, description="detect in every frame instead of tracking (slower)")


class RTMPoseConfig(PluginConfig):
    path: Path = Field(description="COCO-WholeBody ONNX model with SimCC outputs (RTMPose / RTMW, 133 points)")
    padding: float = Field(1.25, gt=0, description="the person box (the whole frame) is enlarged by this factor")
    channel_order: Literal["rgb", "bgr"] = Field("rgb", description="channel order the model was trained on")
    mean: tuple[float, float, float] = Field((123.675, 116.28, 103.53), description="per-channel mean (0-255)")
    std: tuple[float, float, float] = Field((58.395, 57.12, 57.375), description="per-channel std (0-255)")
    batch_size: int = Field(16, ge=1, description="frames per inference call (when the model's batch is dynamic)")


@hookimpl
def register_keypoint_extractors(register):
    register(PluginSpec(
        name="mediapipe",
        factory="slrbench.extraction.mediapipe_holistic:MediaPipeHolisticExtractor",
        config=MediaPipeConfig,
        summary="MediaPipe Holistic (pose, hands, face mesh) mapped to COCO-WholeBody",
        requires=("mediapipe",),
        install="slrbench[mediapipe]",
    ))
    register(PluginSpec(
        name="rtmpose",
        factory="slrbench.extraction.rtmpose:RTMPoseExtractor",
        config=RTMPoseConfig,
        summary="RTMPose / RTMW COCO-WholeBody ONNX model (local file) run with onnxruntime",
        requires=("onnxruntime",),
        install="slrbench[extract]",
    ))
