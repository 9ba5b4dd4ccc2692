"""Live progress of `slrbench run`: a bar per epoch with ETA, loss and accuracy, a line per epoch."""
from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class RunProgress:
    def __init__(self, console: Console, epochs: int):
        self.console, self.epochs = console, epochs
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 console=console, transient=True)
        self.task = None

    def __enter__(self) -> "RunProgress":
        self.progress.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, event: str, values: dict[str, Any]) -> None:
        if event == "step":
            description = (f"epoch {values['epoch'] + 1}/{self.epochs}  loss {values['loss']:.3f}  "
                           f"train top-1 {values['train_top1']:.1f}%")
            if self.task is None:
                self.task = self.progress.add_task(description, total=values["steps"])
            self.progress.update(self.task, description=description, completed=values["step"], total=values["steps"])
        elif event == "note":
            self.console.print(values["text"], highlight=False, soft_wrap=True)
        elif event == "epoch":
            if self.task is not None:
                self.progress.remove_task(self.task)
                self.task = None
            val = f"  val top-1 {values['val_top1']:.2f}%  top-5 {values['val_top5']:.2f}%" if "val_top1" in values else ""
            mark = "  *best" if values.get("best") else ""
            self.console.print(f"epoch {values['epoch']}/{self.epochs}  loss {values['loss']:.4f}  "
                               f"train top-1 {values['train_top1']:.2f}%{val}  ({values['seconds']:.0f} s){mark}",
                               highlight=False)
