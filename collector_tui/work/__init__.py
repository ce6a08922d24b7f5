"""Use cases: every action a collector or a lead takes, written once for the workbench and the CLI.

Screens render and collect input, the CLI parses and prints; both call these functions, which check the
input with `domain/`, decide with the rules, and write through `storage/`.
"""
