"""Plumbing for one lesson's topic each: loss surfaces and optimiser races (lesson 1),
convolution by hand (3), weight-transfer experiments (5), augmentation (6), backbones and
Grad-CAM (7). The idea a lesson teaches stays in the lesson; these modules hide the plumbing."""
