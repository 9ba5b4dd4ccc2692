"""`slrbench report RUN_DIR`: one self-contained HTML page per run.

    runfiles.py  what the run directory holds (each missing or unreadable file becomes a note)
    analysis.py  numbers the page shows: per-class accuracy, confused gloss pairs, VISigns
    plots.py     matplotlib figures as embedded PNG data URIs
    page.py      the HTML page
    build.py     the three together: run directory -> report.html
"""
