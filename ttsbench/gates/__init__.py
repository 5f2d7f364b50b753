"""Quality gates: a suite's gate expressions checked against a run (`gates.py`), and the pytest plugin that
makes each a test (`plugin.py`)."""
