"""Built-in backbones: NLA-SLR's VKNet (Sec. 3.2) and its sub-networks, and timm frame encoders.

Option models only; the torch code is in `slrbench.models` and loads when a backbone is built.
"""
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import Field, field_validator

from slrbench import PluginConfig, PluginSpec, hookimpl


class S3DOptions(PluginConfig):
    width: float = Field(1.0, gt=0, le=4, description="channel multiplier of every S3D layer and lateral "
                         "(1.0: the reference; e.g. 0.125 for a CPU demo)")
    bn_momentum: float = Field(1e-3, gt=0, le=1, description="BatchNorm momentum of the running statistics (the "
                               "reference's 1e-3 suits 100-epoch runs; use ~0.1 for runs of a few hundred steps, "
                               "or evaluation sees unsettled statistics)")
    channels_last: bool = Field(False, description="run the 3-D convolutions in channels_last_3d memory format")
    gradient_checkpointing: bool = Field(False, description="recompute each S3D block in backward instead of "
                                         "keeping its activations (less memory, more compute)")
    kinetics_weights: Optional[Union[Literal["torchvision"], Path]] = Field(
        None, description="Kinetics-400 S3D weights for every stream (keypoint streams: all but the first conv; "
        "needs width 1.0): a local S3D_kinetics400.pt (kylemin/S3D, the reference's start) or torchvision's "
        "s3d-d76dad2f.pth, or 'torchvision' to take the latter from torch's hub cache, downloading it (32 MB) "
        "only if it is not there")

    @field_validator("kinetics_weights", mode="before")
    @classmethod
    def _existing_weights_file(cls, value: Any) -> Any:
        """A missing file is reported now, naming the option, not when the backbone is built."""
        if value is None or value == "torchvision":
            return value
        if not isinstance(value, (str, Path)) or not Path(value).is_file():
            raise ValueError("not an existing file; give a path to S3D_kinetics400.pt or s3d-d76dad2f.pth, "
                             "or 'torchvision'")
        return value


class VideoStreamConfig(S3DOptions):
    pass


class ShortClipOption(PluginConfig):
    short_clip: Literal["window", "stride"] = Field(
        "window", description="the 32-frame clip: window = a random half-length sub-window of the 64 frames in "
        "training, the central one in evaluation (the paper); stride = every second frame (Table 13's SlowFast)")


class VideoShortStreamConfig(VideoStreamConfig, ShortClipOption):
    pass


class KeypointStreamConfig(S3DOptions):
    heatmap_sigma: float = Field(3.5, gt=0, description="Gaussian σ in pixels of a 112² heatmap of the whole frame "
                                 "(the reference's 8 px at 256²); scaled with the heatmap size")
    heatmap_sigma_follows_crop: bool = Field(True, description="widen σ by the crop's zoom along each axis (frame "
                                             "size / box size), as the reference's maps drawn on the frame and "
                                             "resized with the box; false: the same isotropic σ for every crop")
    score_threshold: float = Field(0.0, ge=0, le=1, description="keypoints scoring below this give empty maps "
                                   "(0: keep all)")
    keypoint_groups: tuple[Literal["hands", "mouth", "upper-body"], ...] = Field(
        ("hands", "mouth", "upper-body"), min_length=1, description="keypoint groups drawn as heatmaps (Table 11): "
        "hands (42 points), mouth (10), upper-body (11); the loader delivers only their channels")


class KeypointShortStreamConfig(KeypointStreamConfig, ShortClipOption):
    pass


class VKNet64Config(KeypointStreamConfig):
    video_keypoint_laterals: bool = Field(True, description="V-K laterals between video and keypoint streams (Table 12)")
    lateral_init: Literal["kaiming", "zero"] = Field(
        "kaiming", description="start of the lateral convolutions: Kaiming (the reference, whose streams start from "
        "trained single-stream models) or zero (streams start independent; learns faster from scratch)")


class VKNet32Config(VKNet64Config, ShortClipOption):
    pass


class VKNetConfig(VKNet32Config):
    video_video_laterals: bool = Field(True, description="V-V laterals between the 64- and 32-frame video streams "
                                       "(Table 12)")
    keypoint_keypoint_laterals: bool = Field(True, description="K-K laterals between the 64- and 32-frame keypoint "
                                             "streams (Table 12)")


class TimmFramesConfig(PluginConfig):
    model: str = Field("resnet18", min_length=1, description="a timm 2-D model name (see timm.list_models())")
    weights: Optional[Path] = Field(None, description="local weights file (.safetensors, .pth, .bin) for the timm "
                                    "model; none: random initialisation (nothing is downloaded)")
    stream: Literal["video", "keypoints"] = Field("video", description="encode video frames, or keypoint heatmaps "
                                                  "(K input channels)")
    temporal: Literal["mean", "conv"] = Field("mean", description="over frames: mean, or a temporal conv "
                                              "(kernel 3) + ReLU, then mean")
    heatmap_sigma: float = Field(3.5, gt=0, description="keypoints stream: Gaussian σ in pixels of a 112² heatmap "
                                 "of the whole frame")
    heatmap_sigma_follows_crop: bool = Field(True, description="keypoints stream: widen σ by the crop's zoom along "
                                             "each axis, as the reference; false: isotropic σ for every crop")
    score_threshold: float = Field(0.0, ge=0, le=1, description="keypoints stream: empty maps below this score")


# The input streams each variant consumes, declared here rather than read from its name.
BOTH, VIDEO, KEYPOINTS = ("video", "keypoints"), ("video",), ("keypoints",)
VARIANTS = (
    ("vknet", "vknet", VKNetConfig, BOTH, "VKNet (Sec. 3.2): video + keypoint S3Ds at 64 and 32 frames with V-K, V-V, K-K "
     "laterals; features v64 k64 f64 v32 k32 f32 f"),
    ("vknet-64", "vknet_64", VKNet64Config, BOTH, "VKNet-64: video + keypoint S3D on the 64-frame clip with V-K laterals"),
    ("vknet-32", "vknet_32", VKNet32Config, BOTH, "VKNet-32: video + keypoint S3D on the 32-frame clip with V-K laterals"),
    ("video-64", "video_64", VideoStreamConfig, VIDEO, "S3D on the 64-frame video clip (feature v64)"),
    ("video-32", "video_32", VideoShortStreamConfig, VIDEO, "S3D on the 32-frame video clip (feature v32)"),
    ("keypoint-64", "keypoint_64", KeypointStreamConfig, KEYPOINTS, "S3D on 64 frames of keypoint heatmaps (feature k64)"),
    ("keypoint-32", "keypoint_32", KeypointShortStreamConfig, KEYPOINTS, "S3D on 32 frames of keypoint heatmaps (feature k32)"),
)


@hookimpl
def register_backbones(register):
    for name, attr, config, inputs, summary in VARIANTS:
        register(PluginSpec(
            name=name,
            factory=f"slrbench.models.vknet_variants:{attr}",
            config=config,
            summary=summary,
            requires=("torch",),
            inputs=inputs,
            test_options={"width": 0.125},
        ))
    register(PluginSpec(
        name="timm-frames",
        factory="slrbench.models.timm_frames:TimmFrameEncoder",
        config=TimmFramesConfig,
        summary="Any timm 2-D model applied per frame, then temporal mean or conv (feature v, or k for keypoints)",
        requires=("torch", "timm"),
        inputs=("video", "keypoints"),  # one of them, by its `stream` option
        test_options={"model": "test_resnet"},
    ))
