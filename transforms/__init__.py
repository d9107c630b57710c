"""The SQLMesh project, shipped as package data (``hub.packaged.transforms``); SQLMesh reads it by path."""
