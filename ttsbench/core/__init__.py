"""What every stage shares: the one error base and option checks (`errors.py`), options as data and the
settings a backend adds (`options.py`), the JSON record base (`records.py`), the typed registry of named
backends and its plug-ins (`registry.py`), logging (`log.py`), model files on disk or in the Hub cache
(`hub.py`), package versions (`versions.py`)."""
