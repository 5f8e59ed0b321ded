"""Revisions, one file each, named after their revision id."""
