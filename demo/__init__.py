"""The whole fablab on one machine (`make demo`), and the real peers the tests and benchmarks
start: OctoPrint with its Virtual Printer, child processes and what they hold.

Not part of a station or of the hub: it runs them as separate processes and imports neither.
"""
