"""Authoring and classroom tools that lessons never import: student editions, slides and the
long experiment runs behind the results files. Run each as ``python -m course_utils.tools.<name>``."""
