"""With TTSBENCH_GPU_IMAGE_SITE set (to a copy of site-packages without the packages the GPU machine's image
lacks, made by tests/test_perf_session.py), Python here sees only what that image has: this environment's
site-packages is swapped for the copy, in this process and in every process it starts."""

import os
import site
import sys

shadow = os.environ.get("TTSBENCH_GPU_IMAGE_SITE")
if shadow:
    real = set(site.getsitepackages())
    sys.path[:] = [shadow if p in real else p for p in sys.path]
