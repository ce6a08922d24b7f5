"""The reference servicing API (FastAPI) and the synthetic portfolio generator for demo and tests."""
