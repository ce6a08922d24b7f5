"""Reusable pieces of the workbench."""
