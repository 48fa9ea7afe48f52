"""The bundled demo: fictional 江城市 sources served on loopback, and hotline exports to drop in.

Importable as ``demo`` (the ``include/`` folder is on the path of the installed package):
``from demo.serve import start_server``; ``from demo.hotline_stage import stage_hotline``.
"""
