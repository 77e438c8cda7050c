// TesseraTrain: backward passes, parameters, AdamW, training checkpoints.
