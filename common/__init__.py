"""What the station and the hub both need, and nothing else: the version, the station
protocol's schemas, time arithmetic, card UIDs and their hash.

The station side (`badge`, `machines`, `kiosk`) and the hub (`web`) never import each
other; both import this package, which imports neither (tests/test_boundaries.py).
"""

__version__ = "0.2.0"
