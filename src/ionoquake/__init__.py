"""ionoquake: ionospheric observations from space turned into earthquake forecasts.

The package is laid out as the pipeline it runs::

    sources -> store -> detect -> forecast -> evaluate -> report / service

Each folder is one stage; a stage imports only from the stages before it.
"""

from ionoquake.errors import IonoquakeError

__all__ = ["IonoquakeError", "__version__"]
__version__ = "0.1.0"
