"""The README.md model card of an exported model (`slrbench export`): what the model is, how well it
did on its benchmark's test split, how it was trained, how to use it, and whose licence applies."""
from __future__ import annotations

from typing import Any, Optional

SETTINGS_SHOWN = ("epochs", "batch_size", "lr", "weight_decay", "num_frames", "video_size", "heatmap_size",
                  "precision", "test_view", "crops", "seed")
METRICS_SHOWN = (("per-instance", "per_instance_top1", "per_instance_top5"),
                 ("per-class", "per_class_top1", "per_class_top5"))


def model_card(config: dict[str, Any], class_names: Optional[list[str]], metrics: Optional[dict[str, Any]],
               manifest: dict[str, Any]) -> str:
    """Markdown with a YAML header (the Hugging Face Hub reads `library_name` and `tags`)."""
    plan = config["plan"]
    settings, plugins = plan.get("settings", {}), plan.get("plugins", {})
    benchmark, backbone = settings.get("benchmark", "?"), settings.get("backbone", "?")
    num_classes = config.get("num_classes", len(class_names or []))
    lines = ["---", "library_name: slrbench", "tags:", "- sign-language-recognition", "- slrbench",
             f"- {benchmark}", "---", "",
             f"# {backbone} on {benchmark} ({num_classes} classes)", "",
             f"An isolated sign language recognition model exported by slrbench {manifest['slrbench']} "
             f"(`slrbench export`, format {manifest['format']} v{manifest['format_version']}).", "",
             "## Model", "",
             f"- benchmark: `{benchmark}`",
             f"- backbone: `{backbone}` {_options(plugins.get('backbone'))}",
             f"- classes: {num_classes}" + (f" (first: {', '.join(class_names[:5])}{', ...' if len(class_names) > 5 else ''})"
                                             if class_names else " (index-only benchmark: no glosses)"),
             f"- heads ensembled: {', '.join(config.get('heads') or (metrics or {}).get('heads') or ['the joint heads'])}",
             f"- keypoint extractor of the training data: `{manifest['keypoint_extractor']}`",
             f"- weights: `{manifest['weights']['file']}`, {manifest['weights']['tensors']} tensors, "
             f"sha256 `{manifest['weights']['sha256']}`", ""]
    if "imported_from" in config:
        source = config["imported_from"]
        lines += [f"Imported from a released {source.get('format', '?')} checkpoint (`{source.get('file', '?')}`, "
                  f"sha256 `{source.get('sha256', '?')}`).", ""]
    lines += ["## Test results", ""] + _metrics_table(metrics) + [""]
    lines += ["## Training", "", "| setting | value |", "|---|---|"]
    for kind in ("smoother", "mixup", "embedder", "dataset"):
        if kind in plugins:
            lines.append(f"| {kind} | `{plugins[kind].get('name')}` {_options(plugins[kind])} |")
    lines += [f"| {key} | {settings[key]} |" for key in SETTINGS_SHOWN if key in settings]
    lines += ["", "## Use", "", "```",
              "slrbench predict THIS_FOLDER my_sign.mp4 --top 5",
              "slrbench eval THIS_FOLDER --data-root DATA --out results/eval-this-model",
              "slrbench run --benchmark BENCHMARK --data-root DATA --backbone " + str(backbone) + " --init-from THIS_FOLDER",
              "```", "",
              "`THIS_FOLDER` is this folder, or `hf-hub:ORG/NAME` for a copy on the Hugging Face Hub "
              "(needs `pip install huggingface_hub`). `eval` reads the benchmark's test split from `--data-root` "
              "and writes to `--out`, never into this folder.", "",
              "## Licence", "",
              f"The weights were learned from `{benchmark}`: the licence and terms of use of that dataset apply to "
              "this model and to what you make with it (many sign language datasets are for non-commercial "
              "research only). slrbench's own licence covers the code, not these weights.", ""]
    return "\n".join(lines)


def _options(choice: Any) -> str:
    """A plugin's options as `key=value` (empty when none)."""
    options = choice.get("options") if isinstance(choice, dict) else None
    if not isinstance(options, dict) or not options:
        return ""
    return "(" + ", ".join(f"{key}={value}" for key, value in sorted(options.items())) + ")"


def _metrics_table(metrics: Optional[dict[str, Any]]) -> list[str]:
    if not metrics:
        return ["Not evaluated: run `slrbench eval` on the benchmark's data."]
    crops, samples = metrics.get("crops", "?"), metrics.get("num_samples", "?")
    table = [f"Test split, {crops}-crop, {samples} samples (percent):", "", "| | Top-1 | Top-5 |", "|---|---|---|"]
    for label, top1, top5 in METRICS_SHOWN:
        if isinstance(metrics.get(top1), (int, float)) and isinstance(metrics.get(top5), (int, float)):
            table.append(f"| {label} | {metrics[top1]:.2f} | {metrics[top5]:.2f} |")
    return table
