"""The servicing-API client: wire models, HTTP client, pull and push. Never imports Textual."""
