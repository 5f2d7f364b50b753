"""The blind listening test: the page and its server (`server.py`, `page.html`) and the analysis of the
answers (`analysis.py`)."""
