"""`python -m slrbench` (and `torchrun -m slrbench`) runs the command line."""
from slrbench.cli.app import main

main()
