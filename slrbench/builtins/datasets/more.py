"""Built-in datasets read from their authors' files: ASL Citizen, AUTSL and LSA64 (layouts and
sources in docs/data.md). Option models and registrations only: the readers are imported by the
factories on first use."""
from typing import Literal, Optional

from pydantic import Field

from slrbench import PluginConfig, PluginSpec, hookimpl
from slrbench.builtins.datasets import KEYPOINTS_FRAME_PATTERN

ASL_CITIZEN_CLASSES = 2731  # Desai et al. 2023: 2,731 glosses, 52 signers, signer-disjoint splits
AUTSL_CLASSES = 226  # Sincan & Keles 2020: 226 signs, 43 signers, signer-independent splits
LSA64_CLASSES = 64  # Ronchetti et al. 2016: 64 signs, 10 signers, 5 repetitions each
LSA64_BENCHMARKS = ("lsa64", "lsa64-signer-dependent")

KEYPOINTS_FRAME = Field(
    None, pattern=KEYPOINTS_FRAME_PATTERN,
    description="frame of pickle / .npy keypoint coordinates: WxH, or video (each video's pixels); default: "
                "an extracted pickle's recorded sizes, .npy in the video's pixels",
)


class AslCitizenConfig(PluginConfig):
    keypoints_frame: Optional[str] = KEYPOINTS_FRAME


class AutslConfig(PluginConfig):
    modality: Literal["color", "depth"] = Field(
        "color", description="which of each sample's two videos to read: <name>_color.mp4 or <name>_depth.mp4")
    class_names: Literal["en", "tr"] = Field(
        "en", description="class names from SignList_ClassId_TR_EN.csv: English (EN) or Turkish (TR)")
    keypoints_frame: Optional[str] = KEYPOINTS_FRAME


class Lsa64Config(PluginConfig):
    class_names: Literal["en", "es"] = Field(
        "en", description="class names: the authors' English sign names (en) or their Spanish glosses (es; "
                          "then use a Spanish or multilingual embedder)")
    keypoints_frame: Optional[str] = KEYPOINTS_FRAME


@hookimpl
def register_datasets(register):
    register(PluginSpec(
        name="asl-citizen",
        factory="slrbench.builtins.datasets.asl_citizen:AslCitizenDataset",
        config=AslCitizenConfig,
        summary="ASL Citizen (splits/{train,val,test}.csv + videos/; 2,731 glosses, signer-disjoint splits)",
        requires=("pandas",),
        benchmarks=("asl-citizen",),
    ))
    register(PluginSpec(
        name="autsl",
        factory="slrbench.builtins.datasets.autsl:AutslDataset",
        config=AutslConfig,
        summary="AUTSL (train/ val/ test/ videos, *_labels.csv, SignList_ClassId_TR_EN.csv; 226 signs, "
                "signer-independent)",
        requires=("pandas",),
        benchmarks=("autsl",),
    ))
    register(PluginSpec(
        name="lsa64",
        factory="slrbench.builtins.datasets.lsa64:Lsa64Dataset",
        config=Lsa64Config,
        summary="LSA64 (<sign>_<signer>_<repetition>.mp4; 64 signs): lsa64 = signers 1-8 / 9 / 10, "
                "lsa64-signer-dependent = repetitions 1-4 / 5",
        requires=("pandas",),
        benchmarks=LSA64_BENCHMARKS,
    ))
