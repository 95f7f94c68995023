"""The run engine every connector pull shares: start a run (``starting``), work through its
streams page by page on the queue (``engine``), and show runs and records (``views``)."""
