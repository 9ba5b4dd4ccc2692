"""Evaluation: head ensembling and crops, top-k metrics, run tables and the VISign split."""
