"""Are the scorers trustworthy? Each scorer on real speech (`calibrate.py`) and every metric against known
damage (`effects.py`)."""
