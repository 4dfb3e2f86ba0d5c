"""The station agent that runs on each machine's Raspberry Pi."""
