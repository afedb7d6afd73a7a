import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("NNLIB_PROGRESS", "0")
