"""The `ttsbench` command line: the top layer, the only module that knows every package."""
