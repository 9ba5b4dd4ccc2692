"""The sections of a run's report, each from what the run directory holds; a section whose files
are missing says so (and how to make them) instead of failing the page."""
from __future__ import annotations

import json
from typing import Any, Optional

import pandas as pd

from slrbench.evaluation.tables import COLUMNS, HEADERS
from slrbench.report import analysis, plots
from slrbench.report.page import (Section, details, image, key_values, notes, paragraph, preformatted, table,
                                  warnings_list)
from slrbench.report.runfiles import RunFiles

METRIC_HEADERS = dict(zip(COLUMNS, HEADERS))
RUN_FACTS = ("num_classes", "splits", "world_size", "effective_batch_size", "micro_batch_size", "accumulation_steps",
             "device", "precision", "best_epoch_by", "parameters", "started", "git", "versions")
SHOWN_CLASSES = 10  # worst and best classes listed beside the per-class plot


def run_warnings(files: RunFiles) -> Section:
    """What the run itself recorded as a warning, and what it skipped while evaluating."""
    config = files.config or {}
    found = [str(warning) for warning in config.get("warnings", [])]
    if config.get("out_of_vocabulary_glosses"):
        found.append("glosses out of the embedder's vocabulary during training (zero vectors): "
                     + ", ".join(map(str, config["out_of_vocabulary_glosses"])))
    if isinstance(config.get("git"), dict) and config["git"].get("dirty"):
        found.append(f"trained from a git checkout with uncommitted changes ({config['git'].get('commit')})")
    for evaluation in files.evaluations:
        skipped = evaluation.metrics.get("skipped_samples") or 0
        if skipped:
            found.append(f"{evaluation.name}: {skipped} test sample(s) skipped (unreadable); see "
                         f"{evaluation.folder / 'metrics.json'}")
    section = Section("warnings", "Warnings")
    return section.add(warnings_list(found) if found else paragraph("The run recorded no warnings."))


def training(files: RunFiles) -> Section:
    section = Section("training", "Training curves")
    history = files.history
    if history is not None:
        section.add(image(plots.training_curves(history), "training loss, accuracy and learning rate per epoch"))
        shown = {column: column for column in history.columns}
        section.add(details(f"history.csv ({len(history)} epochs)", table(history, shown, integers=("epoch",))))
    return section.add(notes(files.notes.get("training", [])))


def metrics(files: RunFiles) -> Section:
    section = Section("metrics", "Test metrics")
    rows = analysis.metrics_rows(files)
    if len(rows):
        headers = {"method": "evaluation", "crops": "crops", **METRIC_HEADERS, "samples": "test samples"}
        published = lambda row: "published" if "published" in str(row["method"]) else ""  # noqa: E731
        section.add(table(rows, headers, published, integers=("crops", "samples")))
        section.add(image(plots.metrics_chart(rows), "test accuracy of each evaluation beside the published numbers"))
    if files.benchmark and not len(analysis.published_rows(files.benchmark)):
        section.add(paragraph(f"The paper publishes no numbers for the benchmark '{files.benchmark}'."))
    elif files.benchmark:
        section.add(paragraph(f"Published: NLA-SLR (Zuo et al., CVPR 2023), Tables 1–3, as slrbench table "
                              f"--reference {analysis.PUBLISHED} shows them; comparable only with a run that "
                              "reproduces the paper's recipe (see the warnings above)."))
    return section.add(notes(files.notes.get("metrics", [])))


def per_class(files: RunFiles) -> Section:
    section = Section("per-class", "Per-class accuracy")
    evaluation = files.main_evaluation()
    if evaluation is not None:
        accuracy = analysis.per_class_accuracy(evaluation.predictions, files.class_names or [])
        section.add(paragraph(f"From the {evaluation.name} evaluation ({evaluation.crops}-crop, "
                              f"{len(evaluation.predictions)} test samples, {len(accuracy)} classes), worst first."))
        section.add(image(plots.per_class_chart(accuracy), "per-class top-1 and top-5 accuracy, sorted"))
        headers = {"gloss": "gloss", "class": "class", "samples": "samples", "top1": "top-1", "top5": "top-5"}
        integers = ("class", "samples")
        if len(accuracy) <= 2 * SHOWN_CLASSES:
            section.add(table(accuracy, headers, integers=integers))
        else:
            worst = table(accuracy.head(SHOWN_CLASSES), headers, integers=integers)
            best = table(accuracy.iloc[::-1].head(SHOWN_CLASSES), headers, integers=integers)
            section.add(f'<div class="columns"><div><h3>The {SHOWN_CLASSES} worst classes</h3>{worst}</div>'
                        f"<div><h3>The {SHOWN_CLASSES} best classes</h3>{best}</div></div>")
    elif files.evaluations:
        section.add(paragraph("No evaluation of this run kept its predictions (predictions.parquet)."))
    else:
        section.add(paragraph("No test evaluation yet."))
    return section.add(notes(files.notes.get("per-class", [])))


def confusions(files: RunFiles, embedder: Optional[str]) -> Section:
    """The most confused gloss pairs with their word-vector similarity, and the Table 9 split."""
    section = Section("confusions", "Confused gloss pairs and VISigns")
    evaluation = files.main_evaluation()
    if evaluation is None:
        return section.add(paragraph("No predictions to count confusions from (no test evaluation yet)."))
    similarity = analysis.gloss_similarity(files, embedder)
    pairs = analysis.confused_pairs(evaluation.predictions, files.class_names or [], similarity.matrix)
    if len(pairs):
        section.add(paragraph(f"The {len(pairs)} gloss pairs most often mistaken for each other (top-1 errors of the "
                              f"{evaluation.name} evaluation, both directions), with the cosine similarity of their "
                              f"'{similarity.embedder}' word vectors; the paper calls a pair with similarity ≥ "
                              f"{analysis.SIMILAR} one of similar meaning (VS-S)."))
        pairs = pairs.assign(kind=[_pair_kind(value) for value in pairs["similarity"]])
        headers = {"gloss_a": "gloss A", "gloss_b": "gloss B", "a_as_b": "A taken for B", "b_as_a": "B taken for A",
                   "errors": "errors", "similarity": "similarity", "kind": "meaning"}
        section.add(table(pairs, headers, integers=("a_as_b", "b_as_a", "errors"), precise=("similarity",)))
        section.add(image(plots.confusion_chart(pairs), "most confused gloss pairs, coloured by word similarity"))
    else:
        section.add(paragraph("No top-1 errors: no confused pairs."))
    if similarity.note:
        section.add(notes([similarity.note]))
    if similarity.matrix is not None:
        section.add("<h3>VISigns (the paper's Table 9 split)</h3>", paragraph(
            "Test samples whose two best classes are within δ = p1 − p2 ≤ 0.1 are potential visually indistinguishable "
            f"signs: VS-S when the two glosses are similar in meaning (similarity ≥ {analysis.SIMILAR}), else VS-D; "
            "the rest are non-VS. The paper also had native signers check the pairs; this split is automatic."))
        visigns = analysis.visign_table(evaluation.predictions, similarity.matrix)
        section.add(table(visigns, {"group": "group", "samples": "samples", "top1": "top-1 (%)"}, integers=("samples",)))
        published = analysis.published_visigns(files.benchmark)
        if len(published):
            section.add(paragraph("Published (NLA-SLR Table 9, WLASL2000, fastText similarity, checked by signers):"),
                        table(published, {"setting": "setting", "vs_s_top1": "VS-S", "vs_d_top1": "VS-D",
                                          "non_vs_top1": "non-VS", "overall_top1": "overall"}))
    return section


def settings(files: RunFiles) -> Section:
    section = Section("settings", "Settings")
    config = files.config
    if config is not None:
        section.add("<h3>Run settings</h3>", key_values(sorted(files.settings.items()), columns=2))
        plugins = pd.DataFrame([{"kind": kind, "name": value.get("name"), "options": _options(value.get("options"))}
                                for kind, value in files.plugins.items()], columns=["kind", "name", "options"])
        section.add("<h3>Plugins</h3>", table(plugins, {"kind": "kind", "name": "plugin", "options": "options"}))
        facts = [(key, config[key]) for key in RUN_FACTS if key in config]
        if facts:
            section.add("<h3>Run record</h3>", key_values(facts))
        section.add(details("config.json", preformatted(json.dumps(config, indent=2, ensure_ascii=False))))
    return section.add(notes(files.notes.get("settings", [])))


def _options(options: Any) -> str:
    if not isinstance(options, dict) or not options:
        return "–"
    return ", ".join(f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in options.items())


def _pair_kind(similarity: float) -> str:
    if pd.isna(similarity):
        return "–"
    return "similar" if similarity >= analysis.SIMILAR else "distinct"
