"""What operators watch: the metrics every process exports and the shape of its log lines."""
