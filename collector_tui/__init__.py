"""collector-tui: a keyboard-first workbench for collectors of delinquent consumer loans."""

__version__ = "0.1.0"
