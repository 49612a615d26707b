"""What the API routers and the web pages share: dependencies, access checks, uploads."""
