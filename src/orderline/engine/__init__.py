"""What is built once per process: settings, the engine (models, stores, menus) and the conversation service."""
