"""Scale-out: the archive opened lazily over many years; ingest, detection and evaluation on Dask.

Needs the ``scale`` extra (``pip install 'ionoquake[scale]'``); nothing here is
imported by the in-process pipeline. See ``docs/scale.md``.
"""
