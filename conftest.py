"""Test-session settings.

The tests' networks are tiny, and on a 2-core machine a second torch thread
buys nothing and turns pathological under load; the library itself never
changes torch's thread count (see docs/engine.md).
"""

import torch

torch.set_num_threads(1)
