"""The Rego policies and their cases, shipped as package data (``hub.packaged.policies``); no code."""
