"""`%load_ext giltracer`: the IPython extension lives in giltracer_ipython.py (this name is the short alias)."""
from giltracer_ipython import GilReportView, load_ipython_extension, unload_ipython_extension, trace_cell  # noqa: F401
