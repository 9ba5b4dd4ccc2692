"""VKNet, the video-keypoint network of NLA-SLR (Sec. 3.2, Figure 4), and its single streams.

Up to four S3D streams: video and keypoint-heatmap encoders for the 64-frame clip and for the
32-frame clip derived from it. Bidirectional lateral connections after B1..B4 join video and
keypoint streams of one clip length (V-K) and the 64- and 32-frame streams of one modality (V-V,
K-K); each type can be switched off (the paper's Table 12). In every fused block the V-K
exchange comes first, then V-V and K-K on its results, as in the reference.

Inputs (`slrbench.inputs.BUILTIN_STREAMS`): the loader's 64-frame `video` (B, 3, T, H, W),
`keypoints` (B, T, K, 3) and their crop's `keypoint_zoom` (B, 2), which widens each sample's
Gaussians as the reference's crop-and-resize does (absent: the whole frame). `prepare_inputs`,
run on the device before the mixup, draws the heatmaps (`slrbench.data.heatmaps`) and cuts the
32-frame clips (`slrbench.models.clips`), the same window for video and keypoints of a sample,
random in training and central in evaluation; it returns `video`, `video32`, `heatmaps`
(B, K, T, H/2, W/2) and `heatmaps32`, those the streams need. `forward` accepts either that dict or the loader's own (it then prepares it itself).

Features: v64, k64, v32, k32 (1024·width each), f64 = [v64, k64], f32 = [v32, k32] and
f = [v64, v32, k64, k32] (the reference's concatenation orders, so its heads import unchanged).
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from slrbench.builtins.backbones import VKNetConfig
from slrbench.data.heatmaps import heatmaps_from_keypoints, sigma_for_crop
from slrbench.errors import UsageError
from slrbench.data.keypoint_layout import keypoint_group_channels
from slrbench.inputs import LINEAR, ClipGeometry, InputStream
from slrbench.interfaces import BackboneBase, BackboneContext
from slrbench.models.clips import short_clip_starts, take_short_clip
from slrbench.models.laterals import LATERAL_BLOCKS, temporal_laterals, video_keypoint_laterals
from slrbench.models.s3d import NUM_BLOCKS, S3D, pool_features, run_block

STREAMS = ("video64", "keypoint64", "video32", "keypoint32")
STREAM_INPUT = {"video64": "video", "keypoint64": "heatmaps", "video32": "video32", "keypoint32": "heatmaps32"}
STREAM_FEATURE = {"video64": "v64", "keypoint64": "k64", "video32": "v32", "keypoint32": "k32"}
JOINT_FEATURES = ("f64", "f32", "f")  # concatenations of both modalities: the joint group
# Lateral module name -> (large stream, small stream, its switch in VKNetConfig)
LATERALS = {
    "video_keypoint_64": ("video64", "keypoint64", "video_keypoint_laterals"),
    "video_keypoint_32": ("video32", "keypoint32", "video_keypoint_laterals"),
    "video_temporal": ("video64", "video32", "video_video_laterals"),
    "keypoint_temporal": ("keypoint64", "keypoint32", "keypoint_keypoint_laterals"),
}


class VKNet(BackboneBase, nn.Module):
    """`options` is the registered option model (`slrbench.builtins.backbones.VKNetConfig`), read as
    it is; a variant's narrower options are widened to it by `slrbench.models.vknet_variants`."""

    def __init__(self, streams: tuple[str, ...], options: VKNetConfig, context: BackboneContext):
        super().__init__()
        unknown = set(streams) - set(STREAMS)
        if not streams or unknown:
            raise ValueError(f"streams must be among {STREAMS}, got {streams}")
        self.streams = tuple(s for s in STREAMS if s in streams)
        self.options, self.context = options, context
        self._heatmap_buffers: dict[str, torch.Tensor] = {}  # reused in training (`heatmaps`), not state
        has_keypoints = any(s.startswith("keypoint") for s in self.streams)
        self.keypoint_channels = keypoint_group_channels(options.keypoint_groups) if has_keypoints else None
        for stream in self.streams:
            in_channels = 3 if stream.startswith("video") else self.num_keypoints
            setattr(self, stream, S3D(in_channels, options.width, input_affine=stream.startswith("video")))
        channels = getattr(self, self.streams[0]).block_channels
        self.lateral_names = tuple(
            name for name, (large, small, switch) in LATERALS.items()
            if large in self.streams and small in self.streams and getattr(options, switch)
        )
        for name in self.lateral_names:
            pair = video_keypoint_laterals if name.startswith("video_keypoint") else temporal_laterals
            setattr(self, name, pair(channels))
        self._check_sizes()
        self.inputs = tuple(key for key, modality in (("video", "video"), ("keypoints", "keypoint"))
                            if any(s.startswith(modality) for s in self.streams))
        self.input_keys = tuple(STREAM_INPUT[s] for s in self.streams)
        dims = {STREAM_FEATURE[s]: channels[-1] for s in self.streams}
        for scale in ("64", "32"):
            if f"v{scale}" in dims and f"k{scale}" in dims:
                dims[f"f{scale}"] = 2 * channels[-1]
        if len(self.streams) == 4:
            dims["f"] = 4 * channels[-1]
        self.feature_dims = dims
        self.groups = {STREAM_FEATURE[s]: "video" if s in ("video64", "video32") else "keypoint" for s in self.streams}
        self.groups.update({name: "joint" for name in JOINT_FEATURES if name in dims})
        if options.channels_last:
            self.to(memory_format=torch.channels_last_3d)

    def _check_sizes(self) -> None:
        ctx, needs_short = self.context, any(s.endswith("32") for s in self.streams)
        frames = ctx.num_frames // 2 if needs_short else ctx.num_frames
        if frames < 8:
            raise UsageError(f"S3D streams need clips of at least 8 frames; num_frames={ctx.num_frames} "
                             f"gives {frames}{' for the 32-frame streams' if needs_short else ''}")
        if any(n.endswith("temporal") for n in self.lateral_names) and ctx.num_frames % 16:
            raise UsageError(f"64<->32-frame laterals need num_frames divisible by 16, got {ctx.num_frames}")
        if any(n.startswith("video_keypoint") for n in self.lateral_names) and (
                ctx.video_size != 2 * ctx.heatmap_size or ctx.video_size % 32):
            raise UsageError("video<->keypoint laterals need video_size = 2 x heatmap_size, a multiple of 32 "
                             f"(got {ctx.video_size} and {ctx.heatmap_size}); or switch them off")

    # --- declarations (slrbench.interfaces.BackboneBase) -------------------------------------
    @property
    def num_keypoints(self) -> int:
        """Keypoint channels of the heatmaps: the chosen groups' (all the loader's when all are chosen)."""
        return self.context.num_keypoints if self.keypoint_channels is None else len(self.keypoint_channels)

    def feature_groups(self) -> dict[str, str]:
        return dict(self.groups)

    def input_blends(self, delivered: dict[str, InputStream]) -> dict[str, str]:
        """Mixups see the drawn heatmaps and the clips, all blendable (Sec. 3.4 mixes heatmaps)."""
        return {key: LINEAR for key in self.input_keys}

    def clip_geometry(self, context: BackboneContext) -> ClipGeometry:
        return ClipGeometry(context.num_frames, context.video_size, context.heatmap_size, self.keypoint_channels)

    # --- inputs -------------------------------------------------------------------------------
    def heatmaps(self, keypoints: torch.Tensor, zoom: torch.Tensor | None = None, reuse: str = "") -> torch.Tensor:
        """(B, T, K, 3) -> (B, K, T, h, h) in [-1, 1], σ scaled from 112² to the map size and, when
        it follows the crop, by the (B, 2) zoom of each sample's crop box. In training, `reuse` names
        a buffer the maps are drawn into, overwriting the previous step's (a fresh tensor of this size
        costs more than drawing it on a CPU: benchmarks/perf/heatmaps.py); a step's backward is done
        before the next step draws."""
        size = self.context.heatmap_size
        sigma = self.options.heatmap_sigma * size / 112
        if self.options.heatmap_sigma_follows_crop:
            sigma = sigma_for_crop(sigma, zoom)
        out = None
        if reuse and self.training:
            batch, frames, joints = keypoints.shape[:3]
            shape = (batch, joints, frames, size, size)
            out = self._heatmap_buffers.get(reuse)
            if out is None or tuple(out.shape) != shape or out.device != keypoints.device:
                out = self._heatmap_buffers[reuse] = torch.empty(shape, device=keypoints.device)
        return heatmaps_from_keypoints(keypoints, size, sigma, self.options.score_threshold, out=out)

    def prepare_inputs(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Loader batch -> the streams' inputs (heatmaps and 32-frame clips made on the device)."""
        missing = [key for key in self.input_keys if key not in batch]
        if not missing:
            return {key: batch[key] for key in self.input_keys}
        source = batch["video"] if "video" in batch else batch["keypoints"]
        frames = source.shape[2] if "video" in batch else source.shape[1]
        starts = None
        if self.options.short_clip == "window" and any(key.endswith("32") for key in missing):
            starts = short_clip_starts(source.shape[0], frames, self.training)  # on the host: no device sync
        prepared = {}
        for key in self.input_keys:
            if key in batch:
                prepared[key] = batch[key]
            elif key == "video32":
                prepared[key] = take_short_clip(batch["video"], 2, self.options.short_clip, starts)
            elif key == "heatmaps":
                prepared[key] = self.heatmaps(batch["keypoints"], batch.get("keypoint_zoom"), reuse=key)
            elif key == "heatmaps32":
                short = take_short_clip(batch["keypoints"], 1, self.options.short_clip, starts)
                prepared[key] = self.heatmaps(short, batch.get("keypoint_zoom"), reuse=key)
            else:
                raise KeyError(f"the batch lacks '{key}'")
        return prepared

    # --- network ------------------------------------------------------------------------------
    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if any(key not in inputs for key in self.input_keys):
            inputs = self.prepare_inputs(inputs)
        x = {s: getattr(self, s).input_affine(inputs[STREAM_INPUT[s]]) for s in self.streams}  # identity unless set
        if self.options.channels_last:
            x = {s: t.contiguous(memory_format=torch.channels_last_3d) for s, t in x.items()}
        for block in range(NUM_BLOCKS):
            x = {s: run_block(getattr(self, s).blocks[block], t, self.options.gradient_checkpointing)
                 for s, t in x.items()}
            if block < LATERAL_BLOCKS:
                x = self._fuse(block, x)
        pooled = {STREAM_FEATURE[s]: pool_features(t) for s, t in x.items()}  # each (B, C)
        features = dict(pooled)
        for scale in ("64", "32"):
            if f"f{scale}" in self.feature_dims:
                features[f"f{scale}"] = torch.cat([pooled[f"v{scale}"], pooled[f"k{scale}"]], dim=1)
        if "f" in self.feature_dims:
            features["f"] = torch.cat([pooled["v64"], pooled["v32"], pooled["k64"], pooled["k32"]], dim=1)
        return features

    def _fuse(self, block: int, x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """V-K first, then V-V and K-K on its results; each pair from its pre-fusion tensors."""
        for name in self.lateral_names:
            large, small, _ = LATERALS[name]
            x[large], x[small] = getattr(self, name)(block, x[large], x[small])
        return x

    # --- description --------------------------------------------------------------------------
    def describe_blocks(self) -> dict[str, Any]:
        """Per stream and block: output shape (C, T, H, W) for one clip of the context's sizes
        (traced on the meta device: no memory, no compute) and parameter count."""
        plain = self.options.model_copy(update={"channels_last": False, "gradient_checkpointing": False})
        with torch.device("meta"):
            twin = VKNet(self.streams, plain, self.context).eval()
            shapes: dict[str, list[list[int]]] = {s: [] for s in self.streams}
            hooks = [block.register_forward_hook(
                        lambda module, args, output, s=s: shapes[s].append(list(output.shape[1:])))
                     for s in self.streams for block in getattr(twin, s).blocks]
            ctx = self.context
            sizes = {"video": (3, ctx.num_frames, ctx.video_size), "heatmaps": (ctx.num_keypoints, ctx.num_frames, ctx.heatmap_size)}
            sizes["video32"] = (3, ctx.num_frames // 2, ctx.video_size)
            sizes["heatmaps32"] = (ctx.num_keypoints, ctx.num_frames // 2, ctx.heatmap_size)
            with torch.no_grad():
                twin({key: torch.empty(1, c, t, s, s) for key, (c, t, s) in sizes.items() if key in self.input_keys})
            for hook in hooks:
                hook.remove()
        report: dict[str, Any] = {}
        for stream in self.streams:
            blocks = getattr(self, stream).blocks
            report[stream] = {
                f"b{i + 1}": {"shape": shapes[stream][i], "parameters": sum(p.numel() for p in block.parameters())}
                for i, block in enumerate(blocks)
            }
        for name in self.lateral_names:
            report[name] = {"parameters": sum(p.numel() for p in getattr(self, name).parameters())}
        return report
