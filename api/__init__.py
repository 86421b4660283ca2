"""HTTP API: the FastAPI app factory, routers, tiles, exports and the web map."""
