"""Badge readers: every kind of RFID reader turned into one stream of normalised taps."""
