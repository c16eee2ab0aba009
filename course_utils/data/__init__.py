"""The data stack: a registry of files with checksums, verified downloads with a cache and
mirrors, loaders that return arrays or ``tf.data`` pipelines, image-folder scanning, pretrained
weights, the status table and the feature cache. Nothing here is lesson-specific."""
