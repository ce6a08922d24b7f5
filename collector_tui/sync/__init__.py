"""The servicing-API client: HTTP client, feed decoding, pull and push (the API models are in `collector_tui.api`).

Never imports Textual or the server."""
