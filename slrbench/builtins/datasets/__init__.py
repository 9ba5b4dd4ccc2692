"""Built-in datasets: the standard benchmarks (WLASL, MS-ASL, NMFs-CSL), any layout through a
manifest CSV, and the embedded synthetic benchmark. Option models and registrations only: the
readers are imported by the factories on first use."""
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl

WLASL_BENCHMARKS = {"wlasl100": 100, "wlasl300": 300, "wlasl1000": 1000, "wlasl2000": 2000}
MSASL_BENCHMARKS = {"msasl100": 100, "msasl200": 200, "msasl500": 500, "msasl1000": 1000}
NMFS_CSL_CLASSES = 1067


KEYPOINTS_FRAME_PATTERN = r"^(video|[1-9][0-9]*x[1-9][0-9]*)$"


class ManifestConfig(PluginConfig):
    path: Optional[Path] = Field(
        None, description="manifest CSV; default: manifest.csv at the top of --data-root"
    )
    num_classes: Optional[int] = Field(None, ge=1, description="number of classes; default: largest label + 1")
    keypoints_frame: Optional[str] = Field(
        None, pattern=KEYPOINTS_FRAME_PATTERN,
        description="frame of pickle / .npy keypoint coordinates (WxH, or video: each video's pixels) for rows "
                    "whose keypoints_frame column is empty",
    )


class StandardDatasetConfig(PluginConfig):
    layout: Literal["auto", "official", "bundle"] = Field(
        "auto", description="what --data-root holds: the official annotation files, or the reference's bundle "
                            "(train.pkl, dev.pkl, test.pkl and a video zip); auto: recognised by its files"
    )
    archive: Optional[Path] = Field(
        None, description="the bundle's video zip; default: WLASL2000.zip, msasl_frames1.zip or NMFs-CSL_video.zip "
                          "(else the only .zip) in --data-root"
    )
    videos_dir: Optional[Path] = Field(
        None, description="folder of the videos; default: videos/ under --data-root (see docs/data.md)"
    )
    keypoints_frame: Optional[str] = Field(
        None, pattern=KEYPOINTS_FRAME_PATTERN,
        description="frame of pickle / .npy keypoint coordinates: WxH, or video (each video's pixels); default: "
                    "the reference pickle's 256x256 (NMFs-CSL 512x512), an extracted pickle's recorded sizes, "
                    ".npy in the video's pixels",
    )


class SyntheticConfig(PluginConfig):
    seed: int = Field(0, description="generator seed: the same seed gives the same benchmark")
    num_classes: int = Field(20, ge=4, le=20, description="classes (the first N glosses; the 4 of the look-alike pairs always)")
    train_per_class: int = Field(24, ge=1, le=200, description="training clips per class")
    val_per_class: int = Field(6, ge=1, le=200, description="validation clips per class")
    test_per_class: int = Field(8, ge=1, le=200, description="test clips per class")
    frame_size: int = Field(64, ge=32, le=256, description="rendered frame width and height in pixels")
    mean_frames: int = Field(40, ge=8, le=200, description="average clip length in frames (each clip 0.6-1.5x); "
                             "a run's num_frames near it shows each model whole signs")
    cache_dir: Optional[Path] = Field(
        None, description="write the clips (mp4 + keypoints .npy + manifest.csv) here; default: render in memory"
    )


@hookimpl
def register_datasets(register):
    register(PluginSpec(
        name="manifest",
        factory="slrbench.builtins.datasets.manifest:ManifestDataset",
        config=ManifestConfig,
        summary="Any layout, described by a manifest CSV (sample_id, split, label, gloss, video, keypoints, start, end, "
                "keypoints_frame)",
        requires=("pandas",),
        benchmarks=("manifest",),
    ))
    register(PluginSpec(
        name="wlasl",
        factory="slrbench.builtins.datasets.standard:open_wlasl",
        config=StandardDatasetConfig,
        summary="WLASL (WLASL_v0.3.json + videos/, or the reference's bundle); subset K = the first K glosses",
        requires=("pandas",),
        benchmarks=tuple(WLASL_BENCHMARKS),
    ))
    register(PluginSpec(
        name="msasl",
        factory="slrbench.builtins.datasets.standard:open_msasl",
        config=StandardDatasetConfig,
        summary="MS-ASL (MSASL_{train,val,test,classes}.json + videos/, or the reference's bundle); subset K = label < K",
        requires=("pandas",),
        benchmarks=tuple(MSASL_BENCHMARKS),
    ))
    register(PluginSpec(
        name="nmfs-csl",
        factory="slrbench.builtins.datasets.standard:open_nmfs_csl",
        config=StandardDatasetConfig,
        summary="NMFs-CSL (train.txt / test.txt split lists, or the reference's bundle; 1,067 classes)",
        requires=("pandas",),
        benchmarks=("nmfs-csl",),
    ))
    register(PluginSpec(
        name="synthetic",
        factory="slrbench.builtins.datasets.synthetic:SyntheticDataset",
        config=SyntheticConfig,
        summary="Embedded demo: procedurally signed glosses with look-alike pairs (no download)",
        requires=("pandas", "torch"),
        benchmarks=("synthetic",),
    ))
