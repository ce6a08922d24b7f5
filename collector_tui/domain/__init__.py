"""Pure rules of post-loan management: no I/O, no SQL, no Textual; time is always an argument."""
